/**
 * The nginx-load-balancing verdicts, on the real sequences.json of a run of the nginx-load-balancing lab (nginx 1.22.1,
 * Debian's, one worker; test/fixtures/nginx-load-balancing-sequences.json.gz): which backend answered each request,
 * per method, and altered copies of it for the verdicts the real run did not give. The judges are called as the
 * lab's run() calls them.
 */
import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { expectNotObserved } from '../helpers/verdicts.ts';
import {
  count,
  judgeIpHash,
  judgeLeastConn,
  judgeLeastTime,
  judgeRandom,
  judgeRoundRobin,
  judgeUrlHash,
  judgeWeighted,
  judgeWeightedLeastConn,
  type IpHashObservation,
  type UrlHashObservation,
} from '../../labs/nginx/load-balancing.lab.ts';

interface Sequences {
  rr: string[];
  weighted: string[];
  weights: Record<string, number>;
  hashed: IpHashObservation;
  leastConn: string[];
  rrUnderLoad: string[];
  weightedLeastConn: string[];
  lcWeights: Record<string, number>;
  leastTime: { ok: boolean; output: string };
  urlHash: UrlHashObservation;
  random: string[];
  two: string[];
}

const { real, altered } = realSample<Sequences>('nginx-load-balancing-sequences.json.gz');
/** `nginx -v` of that run (results.json, environment.nginx). */
const VERSION = 'nginx version: nginx/1.22.1';

describe('the real run\'s other methods', () => {
  it('round robin, weights and hash $request_uri are confirmed: b1 b2 b3 repeated, 5/1/1 interleaved, every URL on the same backend twice', () => {
    expect(judgeRoundRobin(real.rr)).toMatchObject({ verdict: 'confirmed', observed: { cycle: ['b1', 'b2', 'b3'] } });
    expect(judgeWeighted(real.weighted, real.weights)).toMatchObject({ verdict: 'confirmed', observed: { cycle: ['b1', 'b1', 'b2', 'b1', 'b3', 'b1', 'b1'] } });
    expect(judgeUrlHash(real.urlHash)).toMatchObject({ verdict: 'confirmed', observed: { keys: 200, sameBackendOnRepeat: true } });
  });
});

describe('ip_hash', () => {
  it('is nuanced on the real run: each client kept its backend, the two clients of every /24 shared one, three backends over eight /24s', () => {
    expect(judgeIpHash(real.hashed)).toMatchObject({ verdict: 'nuanced', observed: { clientsSticky: true, clientsInOneSlash24ShareABackend: true, backendsUsedAcrossSlash24s: 3 } });
  });

  it('is confirmed when every client kept its backend but two clients of one /24 had different ones (a hash of the whole address)', () => {
    const o = altered((s) => (s.hashed.clients.find((c) => c.name === 'c0x1')!.backends = Array(6).fill('b2')));
    expect(judgeIpHash(o.hashed)).toMatchObject({ verdict: 'confirmed', observed: { clientsSticky: true, clientsInOneSlash24ShareABackend: false } });
  });

  it('is unverifiable when no client was recorded, naming what is missing', () => {
    expectNotObserved(judgeIpHash(altered((s) => (s.hashed.clients = [])).hashed), 'No client');
  });

  it('is unverifiable when a client has no recorded response, naming the client', () => {
    const o = altered((s) => (s.hashed.clients.find((c) => c.name === 'c5x1')!.backends = []));
    expectNotObserved(judgeIpHash(o.hashed), 'c5x1');
  });

  it('is refuted when a client\'s six requests went round the backends instead of staying on one', () => {
    const o = altered((s) => (s.hashed.clients.find((c) => c.name === 'c0x0')!.backends = ['b1', 'b2', 'b3', 'b1', 'b2', 'b3']));
    expect(judgeIpHash(o.hashed)).toMatchObject({ verdict: 'refuted', observed: { clientsSticky: false } });
  });
});

describe('least_conn', () => {
  it('is confirmed on the real run: b1, the fast backend, got 90% of 60 concurrent requests under least_conn, 33% under round robin', () => {
    expect(count(real.leastConn)).toEqual({ b1: 54, b2: 3, b3: 3 });
    expect(judgeLeastConn(real.leastConn, real.rrUnderLoad, 'b1')).toMatchObject({ verdict: 'confirmed', observed: { fastShareLeastConn: 0.9, fastShareRoundRobin: 0.33 } });
  });

  it('is refuted when least_conn spread the load as round robin did, a third each, though two backends held their requests', () => {
    const o = altered((s) => (s.leastConn = [...s.rrUnderLoad]));
    expect(judgeLeastConn(o.leastConn, o.rrUnderLoad, 'b1')).toMatchObject({ verdict: 'refuted', observed: { fastShareLeastConn: 0.33 } });
  });

  it('is refuted when the fast backend got more under least_conn, but not 20 points more than under round robin', () => {
    // 30 of 60 to b1 (50%): the other 24 of its real 54 went to the slow backends instead.
    const o = altered((s) => {
      let moved = 0;
      s.leastConn = s.leastConn.map((b) => (b === 'b1' && moved < 24 ? ['b2', 'b3'][moved++ % 2]! : b));
    });
    expect(count(o.leastConn).b1).toBe(30);
    expect(judgeLeastConn(o.leastConn, o.rrUnderLoad, 'b1').verdict).toBe('refuted');
  });
});

describe('weighted least_conn', () => {
  it('is confirmed on the real run: two equally slow backends weighted 3:1 got 60:20 of 80 concurrent requests', () => {
    expect(judgeWeightedLeastConn(real.weightedLeastConn, real.lcWeights)).toMatchObject({ verdict: 'confirmed', observed: { counts: { hold1: 60, hold2: 20 }, ratio: 3, expectedRatio: 3 } });
  });

  it('is refuted when the weights were ignored and the two got 40:40, as plain least_conn would give them', () => {
    const o = altered((s) => {
      let moved = 0;
      s.weightedLeastConn = s.weightedLeastConn.map((b) => (b === 'hold1' && moved < 20 ? (moved++, 'hold2') : b));
    });
    expect(judgeWeightedLeastConn(o.weightedLeastConn, o.lcWeights)).toMatchObject({ verdict: 'refuted', observed: { counts: { hold1: 40, hold2: 40 }, ratio: 1 } });
  });

  it('is nuanced when the weights shaped the split but not in their proportion (50:30, ratio 1.67), not refuted', () => {
    const o = altered((s) => {
      let moved = 0;
      s.weightedLeastConn = s.weightedLeastConn.map((b) => (b === 'hold1' && moved < 10 ? (moved++, 'hold2') : b));
    });
    expect(judgeWeightedLeastConn(o.weightedLeastConn, o.lcWeights)).toMatchObject({ verdict: 'nuanced', observed: { counts: { hold1: 50, hold2: 30 }, ratio: 1.67 }, summary: expect.stringMatching(/^The weights shaped least_conn, but not in their proportion/) });
  });

  it('is unverifiable when no response under weighted least_conn was recorded', () => {
    expectNotObserved(judgeWeightedLeastConn([], real.lcWeights), 'weighted least_conn');
  });
});

describe('least_time', () => {
  it('is unverifiable on the real run: nginx 1.22.1 rejects the directive (unknown directive "least_time"), an NGINX Plus one', () => {
    expect(real.leastTime.output).toContain('unknown directive "least_time"');
    const result = judgeLeastTime(real.leastTime, VERSION);
    expect(result).toMatchObject({ verdict: 'unverifiable', observed: { nginx: VERSION, accepted: false } });
    expect(result.summary).toContain('NGINX Plus');
  });

  it('is only nuanced when nginx -t accepted the upstream with least_time header (an NGINX Plus build): acceptance is not the distribution, which the lab does not measure', () => {
    const accepted = {
      ok: true,
      output: 'nginx: the configuration file /etc/nginx/nginx.conf.next syntax is ok\nnginx: configuration file /etc/nginx/nginx.conf.next test is successful',
    };
    const result = judgeLeastTime(accepted, 'nginx version: nginx/1.25.3 (nginx-plus-r31)');
    expect(result).toMatchObject({ verdict: 'nuanced', observed: { accepted: true, distributionMeasured: false } });
    expect(result.summary).toContain('Only the directive\'s acceptance was observed');
  });
});

describe('random', () => {
  it('is confirmed on the real run: 900 requests spread 299/287/314 (chi-square 1.22, under 13.8 at p = 0.001), each independent of the one before (chi-square 3.76 on 899 pairs, under 18.47 with 4 df)', () => {
    expect(judgeRandom(real.random, real.two, 'b3')).toMatchObject({
      verdict: 'confirmed',
      observed: { counts: { b1: 299, b2: 287, b3: 314 }, chiSquare: 1.22, uniformAtP001: true, serialChiSquare: 3.76, serialDegreesOfFreedom: 4, independentOfPreviousAtP001: true },
    });
  });

  it('is refuted when the 900 requests went b1 b2 b3 in turn: an even 300/300/300 (chi-square 0), but each choice fixed by the one before', () => {
    const o = altered((s) => (s.random = s.random.map((_, i) => ['b1', 'b2', 'b3'][i % 3]!)));
    const result = judgeRandom(o.random, o.two, 'b3');
    expect(result).toMatchObject({ verdict: 'refuted', observed: { chiSquare: 0, uniformAtP001: true, independentOfPreviousAtP001: false, transitions: { 'b1→b2': 300, 'b1→b1': 0 } } });
    expect(result.summary).toContain('depended on the one before');
  });

  it('does not count random two least_conn: the same verdict without it, and no share claimed for it', () => {
    const result = judgeRandom(real.random, [], 'b3');
    expect(result).toMatchObject({ verdict: 'confirmed', observed: { slowShareWithTwo: null } });
    expect(result.summary).not.toContain('two least_conn');
  });

  it('is unverifiable when no response under random was recorded', () => {
    expectNotObserved(judgeRandom([], real.two, 'b3'), 'under random');
  });

  it('is refuted when b3\'s share went to b1 (b3 failing, nginx passing its requests on): 613/287/0', () => {
    const o = altered((s) => (s.random = s.random.map((b) => (b === 'b3' ? 'b1' : b))));
    expect(judgeRandom(o.random, o.two, 'b3')).toMatchObject({ verdict: 'refuted', observed: { counts: { b1: 613, b2: 287 }, uniformAtP001: false } });
  });
});
