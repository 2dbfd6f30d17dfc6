/**
 * The nginx judges given empty sequences or zeroed observations (unverifiable, naming what is missing), and the
 * worker-crash judge refuting when the killed worker was not replaced or the master did not survive. The worker
 * under 2000 connections is the real one of a run (test/fixtures/nginx-processes-observation.json.gz, nginx 1.22.1).
 */
import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { expectNotObserved } from '../helpers/verdicts.ts';
import { judgeLeastConn, judgeRandom, judgeRoundRobin } from '../../labs/nginx/load-balancing.lab.ts';
import { judgeEpoll, judgeReload, judgeSingleThread, judgeWorkerCrash, parsePs, type EventObservation } from '../../labs/nginx/processes.lab.ts';

// `ps -eo pid=,ppid=,user=,args=` in the lab's nginx container (as in nginx-processes.test.ts).
const PS = `      1       0 root     /sbin/docker-init -- sleep infinity
      7       1 root     sleep infinity
     42       1 root     nginx: master process nginx
     43      42 nobody   nginx: worker process
     44      42 nobody   nginx: worker process`;
const before = parsePs(PS);
/** Worker 43 killed and replaced by 45. */
const replaced = parsePs(PS.replace('     43      42', '     45      42'));
const OK = Array<string>(16).fill('200');
const zeroed: EventObservation = { connections: 0, worker: 0, threads: 0, fds: 0, eventpollFds: 0, epollWatched: 0 };
/** Worker 555 holding 2000 connections on 1 thread, its 2002 sockets all non-blocking, as the run read it. */
const held: EventObservation = realSample<{ event: EventObservation }>('nginx-processes-observation.json.gz').real.event;


describe('nginx load balancing on empty sequences', () => {
  it('round robin, least_conn and random: unverifiable when no response said which backend served it', () => {
    expectNotObserved(judgeRoundRobin([]), 'round robin');
    expectNotObserved(judgeLeastConn([], ['b1', 'b2', 'b3'], 'b1'), 'under least_conn');
    expectNotObserved(judgeLeastConn(['b1', 'b1', 'b2'], [], 'b1'), 'round robin (the comparison)');
    expectNotObserved(judgeRandom([], [], 'b3'), 'under random');
  });
});

describe('nginx worker crash', () => {
  it('is confirmed when the master replaced the killed worker and every request succeeded', () => {
    expect(judgeWorkerCrash(before, replaced, 43, OK, '').verdict).toBe('confirmed');
  });

  it('is refuted when the killed worker was not replaced, or the master did not survive', () => {
    const notReplaced = parsePs(PS.split('\n').filter((l) => !l.includes('     43 ')).join('\n'));
    expect(judgeWorkerCrash(before, notReplaced, 43, OK, '').verdict).toBe('refuted');
    const newMaster = parsePs(PS.replace('     42       1', '     60       1').replace(/ 42 nobody/g, ' 60 nobody').replace('     43      ', '     45      '));
    expect(judgeWorkerCrash(before, newMaster, 43, OK, '').verdict).toBe('refuted');
    expect(judgeWorkerCrash(before, parsePs(PS.split('\n').filter((l) => !l.includes('nginx:')).join('\n')), 43, OK, '').verdict).toBe('refuted');
  });

  it('is unverifiable without a master before the kill, without ps after it, or without the requests\' statuses', () => {
    expectNotObserved(judgeWorkerCrash([], replaced, 43, OK, ''), 'no nginx master before the kill');
    expectNotObserved(judgeWorkerCrash(before, [], 43, OK, ''), 'no processes after the kill');
    expectNotObserved(judgeWorkerCrash(before, replaced, 43, [], ''), 'No status was recorded');
  });
});

describe('nginx reload, threads and epoll on zeroed observations', () => {
  it('reload: unverifiable without the statuses or the process lists', () => {
    const during = parsePs(`${PS}\n     50      42 nobody   nginx: worker process is shutting down`);
    expectNotObserved(judgeReload([], during, before), 'No status for the requests');
    expectNotObserved(judgeReload(OK, [], before), 'No process list during the reload');
    expectNotObserved(judgeReload(OK, during, []), 'No process list after the reload');
    expect(judgeReload(OK, during, before).verdict).toBe('confirmed');
  });

  it('single thread: unverifiable when /proc of the worker was not read, or no connection was counted', () => {
    expectNotObserved(judgeSingleThread(zeroed), '/proc/0/status');
    expectNotObserved(judgeSingleThread({ ...held, threads: Number.NaN }), 'were not read');
    expectNotObserved(judgeSingleThread({ ...held, connections: 0 }), 'no established connection');
    expectNotObserved(judgeSingleThread({ ...held, sockets: undefined }), '/proc/555/fdinfo) were not read');
    expect(judgeSingleThread(held).verdict).toBe('confirmed');
  });

  it('epoll: unverifiable when the worker\'s descriptors were not listed; no eventpoll among listed ones still refutes', () => {
    expectNotObserved(judgeEpoll(zeroed), '/proc/0/fd');
    expectNotObserved(judgeEpoll({ ...held, fds: -1 }), 'were not read');
    expect(judgeEpoll({ ...held, eventpollFds: 0 }).verdict).toBe('refuted');
  });
});
