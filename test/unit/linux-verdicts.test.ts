/**
 * The linux-text-tools verdicts the older unit tests left out (wc -w refuted, tail -f both ways), on the real nginx access
 * log of a run (test/fixtures/linux-awk-sed-observation.json.gz): the requests the lab sent are that log's lines, and
 * the tools' outputs are what they print for that log. And the judges of the claims the lab once decided inline
 * (sed -i.bak, curl GET, -O and -X POST), on what that run's sed and curl did (the same fixture's sedInPlace, and
 * test/fixtures/linux-wc-curl-observation.json.gz's curl: Debian's curl 7.88.1 against nginx 1.22.1 and its backend b1).
 */
import { describe, expect, it } from 'vitest';
import { COMBINED_WORDS, judgeCurlDownload, judgeCurlGet, judgeCurlPost, judgeSedInPlaceBackup, judgeTail, judgeWc, type AwkAndSed, type Sent, type WcAndCurl } from '../../labs/linux/text-tools.lab.ts';
import type { Observation } from '../../src/observers/command.ts';
import { realSample } from '../helpers/samples.ts';

const said = (output: string): Observation => ({ exitCode: 0, output, evidence: { kind: 'command', title: 't', command: 'c', output } });
const { real, altered } = realSample<AwkAndSed>('linux-awk-sed-observation.json.gz');
const wcCurl = realSample<WcAndCurl>('linux-wc-curl-observation.json.gz');
const curl = wcCurl.real.curl;
const lines = real.log.split('\n').filter(Boolean);
/** One request per logged line, in the order nginx logged them. */
const sent: Sent[] = lines.map((l) => {
  const [, method, path] = l.match(/"(\w+) (\S+) HTTP/)!;
  return { ip: l.split(' ')[0]!, method: method!, path: path! };
});
const words = (text: string) => text.split(/\s+/).filter(Boolean).length;
/** The two requests sent after `tail -f` had started: the last two of the log. */
const followed = sent.slice(-2).map((s) => s.path);

describe('wc', () => {
  it('counts on the real log: lines and words confirmed, 12 words a line in the combined format', () => {
    expect(words(real.log)).toBe(lines.length * COMBINED_WORDS);
    const [l, w] = judgeWc(sent, said(`${lines.length} access.log`), said(`${words(real.log)} access.log`));
    expect([l!.verdict, w!.verdict]).toEqual(['confirmed', 'confirmed']);
  });

  it('words refuted when a client\'s user agent held spaces (one real line given a browser\'s agent): wc -w no longer 12 a line', () => {
    const browser = real.log.replace('"curl/7.88.1"', '"Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"');
    const [l, w] = judgeWc(sent, said(`${lines.length} access.log`), said(`${words(browser)} access.log`));
    expect(l!.verdict).toBe('confirmed');
    expect(w!.verdict).toBe('refuted');
  });
});

describe('tail -f', () => {
  it('is confirmed when the lines nginx appended after tail -f started were printed (its last ten lines, then the two new ones)', () => {
    expect(followed).toEqual(['/follow?n=1', '/follow?n=2']);
    const [ten, follow] = judgeTail(sent, said(lines.slice(-10).join('\n')), said(lines.slice(-12).join('\n')), followed);
    expect(ten!.verdict).toBe('confirmed');
    expect(follow!.verdict).toBe('confirmed');
  });

  it('is refuted when tail -f printed only what was there when it started', () => {
    const [, follow] = judgeTail(sent, said(lines.slice(-10).join('\n')), said(lines.slice(-12, -2).join('\n')), followed);
    expect(follow!.verdict).toBe('refuted');
  });
});

describe('sed -i.bak', () => {
  it('is confirmed on the real run: both .conf files rewritten to server_port=8080, the originals kept as .bak', () => {
    expect(judgeSedInPlaceBackup(real.sedInPlace)).toMatchObject({ verdict: 'confirmed', observed: { backups: ['name=web\nserver_port=80\n', 'server_port=9000\nname=api\n'] } });
  });

  it('is refuted when no .bak copy was left (sed -i without a suffix), and unverifiable when the shell found no sed', () => {
    expect(judgeSedInPlaceBackup(altered((o) => (o.sedInPlace.backups = [null, null])).sedInPlace)).toMatchObject({ verdict: 'refuted', summary: 'After sed -i.bak: web.conf: server_port=8080, api.conf: server_port=8080; web.conf.bak: no such file, api.conf.bak: no such file.' });
    const unread = altered((o) => (o.sedInPlace.edited = [null, o.sedInPlace.edited[1]!])).sedInPlace;
    expect(judgeSedInPlaceBackup(unread)).toMatchObject({ verdict: 'unverifiable', summary: expect.stringContaining('could not be read back') });
    const noSed = altered((o) => {
      o.sedInPlace.command.exitCode = 127;
      o.sedInPlace.edited = ['name=web\nserver_port=80\n', 'server_port=9000\nname=api\n'];
      o.sedInPlace.backups = [null, null];
    });
    expect(judgeSedInPlaceBackup(noSed.sedInPlace)).toMatchObject({ verdict: 'unverifiable', summary: expect.stringContaining('exit 127') });
  });
});

describe('curl', () => {
  it('GET, -O and -X POST are confirmed on the real run: the body b1 printed, saved as file.zip, POST /users in nginx\'s log', () => {
    expect(judgeCurlGet(curl.get)).toMatchObject({ verdict: 'confirmed', observed: { printed: 'b1\n' } });
    expect(judgeCurlDownload(curl.download, curl.saved).verdict).toBe('confirmed');
    expect(judgeCurlPost(curl.post, real.log)).toMatchObject({ verdict: 'confirmed', observed: { loggedPost: [expect.stringContaining('"POST /users HTTP/1.1"')] } });
  });

  it('are refuted when curl printed another body, saved nothing as file.zip, or the POST never reached nginx', () => {
    const other = wcCurl.altered((o) => (o.curl.get.output = '<html>502 Bad Gateway</html>\n')).curl;
    expect(judgeCurlGet(other.get).verdict).toBe('refuted');
    const unsaved = wcCurl.altered((o) => Object.assign(o.curl.saved, { exitCode: 2, output: "ls: cannot access 'file.zip': No such file or directory\n" })).curl;
    expect(judgeCurlDownload(unsaved.download, unsaved.saved).verdict).toBe('refuted');
    const noPost = real.log.split('\n').filter((l) => !l.includes('"POST /users')).join('\n');
    expect(judgeCurlPost(curl.post, noPost).verdict).toBe('refuted');
  });

  it('are unverifiable when curl itself failed (exit 7, no connection), or nginx\'s log was empty', () => {
    const failed = wcCurl.altered((o) => ['get', 'download', 'post'].forEach((k) => Object.assign(o.curl[k as 'get' | 'download' | 'post'], { exitCode: 7, output: '' }))).curl;
    expect(judgeCurlGet(failed.get).verdict).toBe('unverifiable');
    expect(judgeCurlDownload(failed.download, failed.saved).verdict).toBe('unverifiable');
    expect(judgeCurlPost(failed.post, real.log).verdict).toBe('unverifiable');
    expect(judgeCurlPost(curl.post, '').verdict).toBe('unverifiable');
  });
});
