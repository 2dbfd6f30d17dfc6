/**
 * kafka.durability.acks-all as the sheet states it: "on the broker side", replication.factor >= 3, ACK=all (the
 * producer waits for every ISR replica) and min.insync.replicas >= 2 keep data from being lost. The judge now also
 * reads where acks is set: kafka-configs --describe --all of the acks=all topic and of a broker, kafka-configs'
 * answer to adding acks=all to the topic, and the acks the producer ran with.
 *
 * The real fixture (test/fixtures/kafka-durability-observation.json.gz, Kafka 4.4.0, three brokers: 2400 acks=all
 * writes, broker3 then broker1 killed in turn, all 433 acknowledged records read back) holds that reading: no setting
 * named acks among the topic's 37 settings or broker 1's 351, kafka-configs refusing acks=all on the topic
 * (InvalidConfigurationException: Unknown topic config name: acks), and the producer running with acks=-1. Altered
 * copies give the other verdicts.
 */
import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgeAcksAll, type AcksSetting, type DurabilityObservation } from '../../labs/kafka/durability.lab.ts';

const { real, altered } = realSample<DurabilityObservation>('kafka-durability-observation.json.gz');
const withAcks = (change: (a: AcksSetting) => void) => altered((o) => change(o.acksSetting!));

describe('kafka.durability.acks-all: broker-side replication, ACK=all and min.insync.replicas keep data', () => {
  it('is nuanced on the real run: nothing acknowledged was lost, but acks is no topic or broker setting; the producer sets it', () => {
    const result = judgeAcksAll(real);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed).toMatchObject({ acknowledged: 433, readBack: 433, lost: 0, acksSetting: { producerAcks: '-1', acksInTopicSettings: false, acksInBrokerSettings: false, topicSettings: 37, brokerSettings: 351, addAcksToTopic: { exitCode: 1 } } });
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
    const lostOne = altered((o) => (o.acksAll.readBack = o.acksAll.readBack.slice(1)));
    expect(judgeAcksAll(lostOne).verdict).toBe('refuted');
  });

  it('is unverifiable when where acks is set was not read (as in runs made before the lab read it)', () => {
    const result = judgeAcksAll(altered((o) => delete o.acksSetting));
    expect(result.verdict).toBe('unverifiable');
    expect(result.summary).toContain('where ACK=all is set');
  });
});
