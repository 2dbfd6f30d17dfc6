/**
 * kafka.durability.acks-all as the sheet states it: "on the broker side", replication.factor >= 3, ACK=all (the
 * producer waits for every ISR replica) and min.insync.replicas >= 2 keep data from being lost. The judge now also
 * reads where acks is set: kafka-configs --describe --all of the acks=all topic and of a broker, kafka-configs'
 * answer to adding acks=all to the topic, and the acks the producer ran with.
 *
 * The real fixture (test/fixtures/kafka-durability-observation.json.gz: 2400 acks=all writes, two brokers killed
 * in turn, nothing acknowledged lost) predates that reading, so `acksSetting` is added here by hand in the shape
 * the lab's run() records it (Kafka 4.4's setting names; the rejection as kafka-configs prints an
 * InvalidConfigurationException). The fixture will be recaptured from a real run. Altered copies give the other
 * verdicts.
 */
import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgeAcksAll, type AcksSetting, type DurabilityObservation } from '../../labs/kafka/durability.lab.ts';

const { real, altered } = realSample<DurabilityObservation>('kafka-durability-observation.json.gz');
const acksSetting: AcksSetting = {
  topicSettings: 38,
  brokerSettings: 283,
  broker: 1,
  acksInTopic: false,
  acksInBroker: false,
  related: [
    { entity: 'topic', name: 'follower.replication.throttled.replicas', value: '' },
    { entity: 'topic', name: 'leader.replication.throttled.replicas', value: '' },
    { entity: 'topic', name: 'min.insync.replicas', value: '2' },
    { entity: 'broker', name: 'default.replication.factor', value: '1' },
    { entity: 'broker', name: 'min.insync.replicas', value: '1' },
    { entity: 'broker', name: 'offsets.topic.replication.factor', value: '3' },
  ],
  alterTopic: { exitCode: 1, output: "Error while executing config command with args '--bootstrap-server 198.19.204.11:9092 --alter --entity-type topics --entity-name durable-x --add-config acks=all'\njava.util.concurrent.ExecutionException: org.apache.kafka.common.errors.InvalidConfigurationException: Unknown topic config name: acks" },
  producerAcks: '-1',
};
const withAcks = (change: (a: AcksSetting) => void = () => undefined) => altered((o) => ((o.acksSetting = structuredClone(acksSetting)), change(o.acksSetting)));

describe('kafka.durability.acks-all: broker-side replication, ACK=all and min.insync.replicas keep data', () => {
  it('is nuanced: nothing acknowledged was lost, but acks is no topic or broker setting; the producer sets it', () => {
    const result = judgeAcksAll(withAcks());
    expect(result.verdict).toBe('nuanced');
    expect(result.observed).toMatchObject({ lost: 0, acksSetting: { producerAcks: '-1', acksInTopicSettings: false, acksInBrokerSettings: false, addAcksToTopic: { exitCode: 1 } } });
    expect(result.summary).toContain('ACK=all is not a broker-side setting');
    expect(result.summary).toContain('Unknown topic config name: acks');
    expect(result.summary).toContain('the producer ran with acks=-1 (all)');
    expect(result.summaryZh).toContain('并不像学习资料所说的那样是 Broker 端的配置');
    expect(result.evidence.map((e) => e.kind)).toEqual(['table', 'table', 'command']);
  });

  it('is confirmed if acks turns out to be a broker or topic setting', () => {
    expect(judgeAcksAll(withAcks((a) => (a.acksInBroker = true))).verdict).toBe('confirmed');
    expect(judgeAcksAll(withAcks((a) => ((a.alterTopic = { exitCode: 0, output: 'Completed updating config for topic durable-x.' }))))).toMatchObject({ verdict: 'confirmed', summary: expect.stringContaining('the topic accepted acks=all') });
  });

  it('is refuted when an acknowledged record is lost, wherever acks is set', () => {
    const lostOne = altered((o) => ((o.acksSetting = structuredClone(acksSetting)), (o.acksAll.readBack = o.acksAll.readBack.slice(1))));
    expect(judgeAcksAll(lostOne).verdict).toBe('refuted');
  });

  it('is unverifiable on the fixture as captured: where acks is set was not read then', () => {
    const result = judgeAcksAll(real);
    expect(result.verdict).toBe('unverifiable');
    expect(result.summary).toContain('where ACK=all is set');
  });
});
