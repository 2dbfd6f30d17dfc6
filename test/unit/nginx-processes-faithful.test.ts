/**
 * nginx.event.single-thread-many-connections as the sheet states it: nginx is "event-driven, asynchronous and
 * non-blocking" and handles large numbers of concurrent connections efficiently. The judge now also reads the
 * O_NONBLOCK flag of the worker's sockets (/proc/<worker>/fdinfo/<fd> "flags:", octal, 04000).
 *
 * The real fixture (test/fixtures/nginx-processes-observation.json.gz: nginx 1.22.1, worker 555 holding 2000
 * connections on 1 thread, one eventpoll descriptor watching 2003) holds that reading: 2002 socket descriptors
 * (the 2000 client connections, the listening socket and the master's channel), 2001 with flags 04002
 * (O_RDWR | O_NONBLOCK) and one with 02004002 (O_CLOEXEC as well), all non-blocking. Altered copies give the other
 * verdicts.
 */
import { describe, expect, it } from 'vitest';
import { realSample } from '../helpers/samples.ts';
import { judgeSingleThread, O_NONBLOCK, socketFlags, type EventObservation } from '../../labs/nginx/processes.lab.ts';

const { real, altered } = realSample<{ event: EventObservation }>('nginx-processes-observation.json.gz');
const withSockets = (sockets: EventObservation['sockets']): EventObservation => altered((o) => (o.event.sockets = sockets)).event;

describe('nginx.event.single-thread-many-connections: event-driven, asynchronous, non-blocking', () => {
  it('is confirmed on the real run: every socket of the one-thread epoll worker has O_NONBLOCK', () => {
    const result = judgeSingleThread(real.event);
    expect(result.verdict).toBe('confirmed');
    expect(result.observed).toMatchObject({ connections: 2000, worker: 555, threads: 1, eventpollFds: 1, sockets: { count: 2002, nonBlocking: 2002 } });
    expect(result.summary).toContain('all 2002 of its sockets had O_NONBLOCK set (fdinfo flags 04002, 02004002)');
    expect(result.evidence[1]).toMatchObject({ kind: 'table', rows: [['04002', 'set', 2001], ['02004002', 'set', 1]] });
  });

  it('is nuanced when some sockets are blocking, and refuted when none is non-blocking', () => {
    const some = withSockets({ count: 2002, nonBlocking: 2000, byFlags: { '04002': 2000, '02': 2 }, blockingFds: [6, 7] });
    expect(judgeSingleThread(some)).toMatchObject({ verdict: 'nuanced', summary: expect.stringContaining('descriptors 6, 7 were blocking') });
    const none = withSockets({ count: 2002, nonBlocking: 0, byFlags: { '02': 2002 }, blockingFds: [6, 7, 8, 9, 10, 11, 12, 13, 14, 15] });
    expect(judgeSingleThread(none).verdict).toBe('refuted');
  });

  it('is refuted, whatever the flags, when the worker did not hold many connections on one thread', () => {
    expect(judgeSingleThread({ ...real.event, threads: 33 }).verdict).toBe('refuted');
  });

  it('is unverifiable when the sockets\' flags were not read (as in runs made before the lab read them), or no socket was found', () => {
    const result = judgeSingleThread(withSockets(undefined));
    expect(result.verdict).toBe('unverifiable');
    expect(result.summary).toContain('/proc/555/fdinfo) were not read');
    expect(judgeSingleThread(withSockets({ count: 0, nonBlocking: 0, byFlags: {}, blockingFds: [] })).verdict).toBe('unverifiable');
  });
});

describe('socketFlags', () => {
  it('keeps only socket descriptors and tests O_NONBLOCK in the octal flags', () => {
    const ls = [
      'total 0',
      'lrwx------ 1 www-data www-data 64 Nov 27 00:20 0 -> /dev/null',
      'l-wx------ 1 www-data www-data 64 Nov 27 00:20 2 -> /var/log/nginx/error.log',
      'lrwx------ 1 www-data www-data 64 Nov 27 00:20 6 -> socket:[10232476]',
      'lrwx------ 1 www-data www-data 64 Nov 27 00:20 7 -> anon_inode:[eventpoll]',
      'lrwx------ 1 www-data www-data 64 Nov 27 00:20 12 -> socket:[10232477]',
      'lrwx------ 1 www-data www-data 64 Nov 27 00:20 13 -> socket:[10232478]',
    ].join('\n');
    const flags = '0 0100002\n2 02102001\n6 02004002\n7 02000002\n12 02004002\n13 02000002\n';
    expect(socketFlags(ls, flags)).toEqual({ count: 3, nonBlocking: 2, byFlags: { '02004002': 2, '02000002': 1 }, blockingFds: [13] });
    expect(parseInt('02004002', 8) & O_NONBLOCK).toBe(O_NONBLOCK);
  });
});
