/**
 * icmp.redirect judged as the lab now runs it: the client is a host (its namespace's forwarding turned off, as
 * this Docker host's ip_forward=1 had been copied into it), pings far through r1, and only if it did not follow
 * r1's Redirect tries again with net.ipv4.conf.all.accept_redirects=1.
 *
 * The packets are the real capture of run 5d81b9bc (test/fixtures/icmp.pcap, read with the lab's display filter
 * 'ip.proto == 1'): r1 sent Redirect 5/1 naming gw twice, frames 17 and 20. The client was a host (ip_forward=0,
 * conf.all/eth0.forwarding=0, conf.all/eth0.accept_redirects=1 as the kernel left them, secure_redirects=1,
 * shared_media=1) and its `ip route get 198.18.20.2` then printed the route via gw, <redirected>: the run judged it
 * confirmed. Altered inputs give the other verdicts: the route printed via r1 (as before a Redirect is taken), the
 * kernel's accept_redirects coming out 0, or a client left forwarding (as the client's namespace was created on this
 * Docker host before the lab turned forwarding off).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ADDRESSES, ICMP_FIELDS, judgeRedirect, type IcmpRow, type RedirectSettings } from '../../labs/icmp/messages.lab.ts';
import type { Observation } from '../../src/observers/command.ts';
import { readFields } from '../../src/observers/tshark.ts';
import { expectNotObserved } from '../helpers/verdicts.ts';

const pcap = new URL('../fixtures/icmp.pcap', import.meta.url).pathname;
const said = (output: string, exitCode = 0): Observation => ({ exitCode, output, evidence: { kind: 'command', title: 't', command: `ip route get ${ADDRESSES.far}`, output } });
/** Run 5d81b9bc's `ip route get 198.18.20.2` output, through gw once the Redirect was taken; and the route through r1, as it reads before one is taken. */
const viaR1 = said('198.18.20.2 via 198.18.10.1 dev eth0 src 198.18.10.10 uid 0 \n    cache');
const viaGw = said('198.18.20.2 via 198.18.10.2 dev eth0 src 198.18.10.10 uid 0 \n    cache <redirected> expires 299sec');
const REDIRECT = { 'conf.eth0.secure_redirects': '1', 'conf.eth0.shared_media': '1' };
/** Run 5d81b9bc's client, a host: forwarding off, accept_redirects as the kernel leaves them after ip_forward=0. */
const HOST: RedirectSettings = { ip_forward: '0', 'conf.all.forwarding': '0', 'conf.eth0.forwarding': '0', 'conf.all.accept_redirects': '1', 'conf.eth0.accept_redirects': '1', ...REDIRECT };
/** A host on which the kernel's values came out 0 on both (as when this machine's own all/default accept_redirects are 0 and its forwarding is off, so turning the client's off changes nothing). */
const REFUSING: RedirectSettings = { ...HOST, 'conf.all.accept_redirects': '0', 'conf.eth0.accept_redirects': '0' };
/** A client as its namespace is created on this Docker host: forwarding inherited. */
const FORWARDING: RedirectSettings = { ip_forward: '1', 'conf.all.forwarding': '1', 'conf.eth0.forwarding': '1', 'conf.all.accept_redirects': '0', 'conf.eth0.accept_redirects': '1', ...REDIRECT };
const type = (r: IcmpRow) => r['icmp.type'].split(',')[0];
let rows: IcmpRow[];

beforeAll(async () => {
  rows = (await readFields(pcap, 'ip.proto == 1', ICMP_FIELDS)) as IcmpRow[];
});

describe('icmp.redirect, the client a host', () => {
  it('the real capture holds two Redirects 5/1 from r1 naming gw, each quoting a ping to far', () => {
    const redirects = rows.filter((r) => type(r) === '5');
    expect(redirects.map((r) => r['frame.number'])).toEqual(['17', '20']);
    expect(redirects.every((r) => r['ip.src'].startsWith(ADDRESSES.r1) && r['icmp.redir_gw'] === ADDRESSES.gw && r['ip.dst'].split(',').includes(ADDRESSES.far))).toBe(true);
  });

  it('is confirmed on the real run: the host, forwarding off and accept_redirects as the kernel left them, followed the Redirect (no second attempt made)', () => {
    const result = judgeRedirect(rows, viaGw, undefined, HOST);
    expect(result.verdict).toBe('confirmed');
    expect(result.observed).toMatchObject({ messages: 2, from: [ADDRESSES.r1], code: '1', gateway: ADDRESSES.gw, nextHopAsHost: ADDRESSES.gw, hostSettings: HOST });
    expect(result.observed).not.toHaveProperty('nextHopAcceptingRedirects');
    expect(result.summary).toContain('a host with forwarding off');
    expect(result.summary).toContain('ip_forward=0, conf.all.forwarding=0, conf.eth0.forwarding=0, conf.all.accept_redirects=1, conf.eth0.accept_redirects=1');
    expect(result.summary).not.toContain('Linux default');
    expect(result.summaryZh).toContain('关闭了转发的主机');
    expect(result.evidence.map((e) => e.title)).toEqual(['Redirect messages', 't']);
  });

  it('is nuanced, naming the setting, when the host (accept_redirects 0) kept r1 and followed gw only after accept_redirects=1', () => {
    const result = judgeRedirect(rows, viaR1, viaGw, REFUSING);
    expect(result.verdict).toBe('nuanced');
    expect(result.observed).toMatchObject({ messages: 2, from: [ADDRESSES.r1], nextHopAsHost: ADDRESSES.r1, nextHopAcceptingRedirects: ADDRESSES.gw });
    expect(result.summary).toContain('conf.all.accept_redirects=0, conf.eth0.accept_redirects=0');
    expect(result.summary).toContain(`after net.ipv4.conf.all.accept_redirects=1 and the same pings it switched to ${ADDRESSES.gw}`);
    expect(result.summaryZh).toContain('设置 net.ipv4.conf.all.accept_redirects=1');
  });

  it('is nuanced, told but never followed, when even accept_redirects=1 left the route via r1', () => {
    const result = judgeRedirect(rows, viaR1, viaR1, REFUSING);
    expect(result.verdict).toBe('nuanced');
    expect(result.summary).toMatch(/^Told, but never followed/);
  });

  it('is refuted when r1 sent no Redirect, or none naming gw', () => {
    const none = judgeRedirect(rows.filter((r) => type(r) !== '5'), viaR1, viaR1, HOST);
    expect(none.verdict).toBe('refuted');
    expect(none.summary).toContain('the capture holds no Redirect at all');
    const elsewhere = rows.map((r) => (type(r) === '5' ? { ...r, 'icmp.redir_gw': '198.18.10.99' } : r));
    const wrong = judgeRedirect(elsewhere, viaR1, viaGw, HOST);
    expect(wrong.verdict).toBe('refuted');
    expect(wrong.summary).toContain('naming 198.18.10.99');
  });

  it('is unverifiable when the capture is empty, or no route was printed after the pings', () => {
    expectNotObserved(judgeRedirect([], viaGw, undefined, HOST), 'holds no ICMP packet');
    expectNotObserved(judgeRedirect(rows, said('RTNETLINK answers: Network is unreachable', 2), undefined, HOST), 'printed no route');
    expectNotObserved(judgeRedirect(rows, viaR1, said('', 1), REFUSING), 'printed no route after net.ipv4.conf.all.accept_redirects=1');
  });

  it('is unverifiable when the host kept r1 and no attempt with accept_redirects=1 was recorded', () => {
    expectNotObserved(judgeRedirect(rows, viaR1, undefined, REFUSING), 'no attempt with net.ipv4.conf.all.accept_redirects=1 was recorded');
  });

  it("is unverifiable when the client was forwarding (as its namespace is created on this Docker host): a router's rule, not a host's", () => {
    const result = judgeRedirect(rows, viaR1, viaGw, FORWARDING);
    expectNotObserved(result, 'the client was forwarding when it got them (ip_forward=1, conf.all.forwarding=1, conf.eth0.forwarding=1');
    expect(result.observed).toMatchObject({ hostSettings: FORWARDING });
  });
});
