import { describe, expect, it } from 'vitest';
import { judgeCloseStates, judgeTimeWaitPorts } from '../../labs/tcp/close.lab.ts';
import type { SocketSample } from '../../src/core/types.ts';

const sample = (host: string, state: string): SocketSample => ({ atMs: 0, host, note: `${state} reached`, sockets: [{ state, recvQ: 0, sendQ: 0, local: '198.18.95.1:40000', peer: '198.18.95.2:7000', info: {} }] });
const all = [sample('client', 'FIN-WAIT-1'), sample('server', 'CLOSE-WAIT'), sample('client', 'FIN-WAIT-2'), sample('server', 'LAST-ACK'), sample('client', 'TIME-WAIT')];

describe('close judges', () => {
  it('every state seen on the right side confirms; a missing LAST-ACK refutes', () => {
    expect(judgeCloseStates(all).verdict).toBe('confirmed');
    expect(judgeCloseStates(all.filter((s) => s.note !== 'LAST-ACK reached')).verdict).toBe('refuted');
  });

  it('ports exhausted by TIME-WAIT toward every destination, and freed by tw_reuse, confirm; no exhaustion refutes; no second destination tried decides nothing', () => {
    const o = { ports: 8, connected: 8, error: 'connect EADDRNOTAVAIL 198.18.95.2:7100', timeWaits: 8, withReuse: 'connected', reusedAfterMs: 1000 };
    const elsewhereToo = { ...o, otherDestination: { port: 7200, outcome: 'connect EADDRNOTAVAIL 198.18.95.2:7200' } };
    expect(judgeTimeWaitPorts(elsewhereToo).verdict).toBe('confirmed');
    expect(judgeTimeWaitPorts({ ...elsewhereToo, error: '' }).verdict).toBe('refuted');
    expect(judgeTimeWaitPorts(o).verdict).toBe('unverifiable');
  });
});
