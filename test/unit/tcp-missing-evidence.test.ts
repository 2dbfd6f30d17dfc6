/**
 * The tcp judges given a capture or samples that lack what they need: each says what is missing and
 * decides nothing (unverifiable), on the real fixtures with the needed part taken out.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectNotObserved } from '../helpers/verdicts.ts';
import { judgeCloseStates } from '../../labs/tcp/close.lab.ts';
import { judgeAvoidance, judgeFastRecovery, judgeFastRetransmit, judgeSlowStart, judgeTimeout, type Trial } from '../../labs/tcp/congestion.lab.ts';
import { judgeSendWindow, judgeZeroWindow, type FlowTrial } from '../../labs/tcp/flow-control.lab.ts';
import { judgeFields } from '../../labs/tcp/header.lab.ts';
import { judgeCloseWait, judgeHandshakeStates, judgeHeaderLength, judgeThreeWay, judgeTimeWait, PORTS } from '../../labs/tcp/lifecycle.lab.ts';
import type { Packet, SocketSample } from '../../src/core/types.ts';
import { parseSs } from '../../src/observers/ss.ts';
import { tcpInfo, type TcpInfoSample } from '../../src/observers/tcp-info.ts';
import { decodeTcp } from '../../src/observers/tshark.ts';
import { realLossTrial } from '../helpers/congestion-trial.ts';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
const port = (packets: Packet[], p: number) => packets.filter((x) => x.srcPort === p || x.dstPort === p);
const samples = JSON.parse(readFileSync(fixture('lifecycle-samples.json'), 'utf8')).samples as Record<string, SocketSample[]>;
const endpoints = { client: '198.18.0.1', server: '198.18.0.2' };


let lifecycle: Packet[];
/** The real one-loss reno transfer, as tcp-verdicts.test.ts builds it (no ss samples were kept with it). */
let lossTrial: Trial;
/** A real ss sample of an established Linux connection (its RTO, cwnd and ssthresh). */
const ssSample = tcpInfo(parseSs(readFileSync(fixture('ss-fin-wait-2.txt'), 'utf8'))[0]!, 0);

beforeAll(async () => {
  lifecycle = await decodeTcp(fixture('lifecycle.pcap'));
  lossTrial = await realLossTrial();
});

describe('tcp-congestion without the observations it needs', () => {
  it('slow start: unverifiable with no trial, or a trial whose capture holds no data segment', () => {
    expectNotObserved(judgeSlowStart([]), 'No data segments');
    expectNotObserved(judgeSlowStart([{ ...lossTrial, rounds: [] }]), 'reno');
    expect(judgeSlowStart([lossTrial]).verdict).toBe('refuted');
  });

  it('avoidance: unverifiable without a reno trial, or without ss samples over 4 round trips above ssthresh', () => {
    expectNotObserved(judgeAvoidance([]), 'No reno transfer');
    expectNotObserved(judgeAvoidance([{ ...lossTrial, algorithm: 'cubic' }]), 'No reno transfer');
    expectNotObserved(judgeAvoidance([lossTrial]), 'at least 4 round trips for reno');
  });

  it('fast retransmit: unverifiable when ss gave no RTO (the real loss without samples); still confirmed with one', () => {
    expectNotObserved(judgeFastRetransmit([lossTrial]), 'no RTO');
    expectNotObserved(judgeFastRetransmit([]), 'no RTO');
    expect(judgeFastRetransmit([{ ...lossTrial, samples: [ssSample] }]).verdict).toBe('confirmed');
  });

  it('fast recovery: unverifiable without ss samples, or without a reno trial', () => {
    expectNotObserved(judgeFastRecovery([lossTrial]), 'no samples');
    expectNotObserved(judgeFastRecovery([{ ...lossTrial, algorithm: 'cubic', samples: [ssSample] }]), 'No reno transfer');
  });

  it('timeout: unverifiable without packets, or without an ss sample while the retransmission timer ran', () => {
    expectNotObserved(judgeTimeout({ ...lossTrial, packets: [] }), 'No packets');
    expectNotObserved(judgeTimeout(lossTrial), 'no sample with the retransmission timer');
    const timerOn: TcpInfoSample = { ...ssSample, atMs: lossTrial.lossAtMs! + 1, timer: 'on 200 ms, 1 retransmits' };
    expect(judgeTimeout({ ...lossTrial, samples: [timerOn] }).verdict).not.toBe('unverifiable');
  });
});

describe('tcp-lifecycle without the observations it needs', () => {
  it('three-way handshake: unverifiable when the capture holds no handshake, naming the missing segment', () => {
    const clean = port(lifecycle, PORTS.clean);
    expectNotObserved(judgeThreeWay(clean.slice(3), endpoints), 'no SYN');
    expectNotObserved(judgeThreeWay(clean.filter((p) => p.flags.join() !== 'SYN,ACK'), endpoints), 'no SYN/ACK');
    expectNotObserved(judgeThreeWay([], endpoints), 'no SYN');
  });

  it('handshake states: unverifiable with no samples', () => {
    expectNotObserved(judgeHandshakeStates([]), 'No socket states');
  });

  it('CLOSE-WAIT: unverifiable with no sample while the application held the socket, or none after it closed', () => {
    const real = samples['tcp.close.close-wait']!;
    expectNotObserved(judgeCloseWait([], 1000), 'while its application kept the socket open');
    expectNotObserved(judgeCloseWait(real.filter((s) => s.note !== 'after the application closed'), 1000), 'after its application closed');
  });

  it('TIME-WAIT: unverifiable when the active closer was never sampled, or its timer was not reported', () => {
    const real = samples['tcp.close.time-wait']!;
    expectNotObserved(judgeTimeWait([], '60'), 'never sampled');
    const noTimer = real.map((s) => ({ ...s, sockets: s.sockets.map((k) => ({ ...k, timer: undefined })) }));
    expectNotObserved(judgeTimeWait(noTimer, '60'), 'reported no timer');
  });

  it('header length: unverifiable without a SYN, a default data segment or one without timestamps; a bad length still refutes', () => {
    const clean = port(lifecycle, PORTS.clean);
    const plain = port(lifecycle, PORTS.noTimestamps);
    expectNotObserved(judgeHeaderLength([], []), 'no SYN, no data segment');
    expectNotObserved(judgeHeaderLength(clean, []), 'timestamps off');
    expectNotObserved(judgeHeaderLength(clean.filter((p) => p.len === 0), plain), 'default options');
    expect(judgeHeaderLength(clean.map((p, i) => (i === 0 ? { ...p, tcpHeaderLength: 64 } : p)), []).verdict).toBe('refuted');
  });
});

describe('tcp-close, tcp-flow-control and tcp-header without the observations they need', () => {
  it('close states: unverifiable when one side was never sampled', () => {
    expectNotObserved(judgeCloseStates([]), 'client or the server');
    expectNotObserved(judgeCloseStates(samples['tcp.close.time-wait']!), 'server');
  });

  it('zero window: unverifiable with no capture, or no advertised window', () => {
    const trial: FlowTrial = { name: 'receiver stops reading', samples: [], packets: port(lifecycle, PORTS.clean), windows: [], bytesReceived: 0, bytesSent: 0 };
    expectNotObserved(judgeZeroWindow({ ...trial, packets: [] }), 'no packets');
    expectNotObserved(judgeZeroWindow(trial), 'no window advertised');
  });

  it('send window: unverifiable when ss took no sample with data in flight', () => {
    const trial = (name: string, s: TcpInfoSample[]): FlowTrial => ({ name, samples: s, packets: [], windows: [], bytesReceived: 0, bytesSent: 0 });
    const inFlight = { ...ssSample, unacked: 4, mss: 1448, sndWnd: 64_000 };
    const result = judgeSendWindow(trial('receive window smaller than cwnd', []), trial('cwnd smaller than the receive window', [inFlight]));
    expectNotObserved(result, 'receive window smaller than cwnd');
    expect(result.summary).not.toContain('cwnd smaller than the receive window');
  });

  it('header fields: unverifiable with no segment', () => {
    expectNotObserved(judgeFields([]), 'no TCP segment');
  });
});
