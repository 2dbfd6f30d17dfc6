/**
 * src/setup/runc-within-bounds, run for real: it rewrites the process spec of a container (create)
 * or an exec to the capabilities this host's bounding set has, then hands over to runc (which then
 * fails here: the bundle has no root filesystem, which is not what is tested).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const WRAPPER = new URL('../../src/setup/runc-within-bounds', import.meta.url).pathname;
const ASKED = ['CAP_CHOWN', 'CAP_NET_ADMIN', 'CAP_SYS_ADMIN', 'CAP_SYS_RESOURCE', 'CAP_BPF'];
const NUMBERS: Record<string, number> = { CAP_CHOWN: 0, CAP_NET_ADMIN: 12, CAP_SYS_ADMIN: 21, CAP_SYS_RESOURCE: 24, CAP_BPF: 39 };
const bounding = BigInt(`0x${readFileSync('/proc/self/status', 'utf8').match(/^CapBnd:\s+([0-9a-f]+)$/m)![1]}`);
const withinBounds = ASKED.filter((name) => (bounding >> BigInt(NUMBERS[name]!)) & 1n);
const sets = (names: string[]) => ({ bounding: names, effective: names, permitted: names, inheritable: [], ambient: names });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'labs-runc-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function wrapper(args: string[]) {
  return execa(WRAPPER, ['--root', join(dir, 'state'), ...args], { reject: false });
}

describe('runc-within-bounds', () => {
  it("keeps of a container's capabilities those in this host's bounding set, and the rest of its spec", async () => {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ociVersion: '1.0.2', process: { args: ['true'], capabilities: sets(ASKED) }, hostname: 'node' }));
    await wrapper(['create', '--bundle', dir, `labs-test-${process.pid}`]);
    const spec = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(spec.process.capabilities).toEqual(sets(withinBounds));
    expect(spec).toMatchObject({ ociVersion: '1.0.2', process: { args: ['true'] }, hostname: 'node' });
  });

  it("does the same to a privileged exec's process spec", async () => {
    const spec = join(dir, 'process.json');
    writeFileSync(spec, JSON.stringify({ args: ['sh'], capabilities: sets(ASKED) }));
    await wrapper(['exec', '--process', spec, 'no-such-container']);
    expect(JSON.parse(readFileSync(spec, 'utf8'))).toEqual({ args: ['sh'], capabilities: sets(withinBounds) });
  });

  it('hands anything else to runc unchanged', async () => {
    const [wrapped, plain] = await Promise.all([execa(WRAPPER, ['--version']), execa('/usr/sbin/runc', ['--version'])]);
    expect(wrapped.stdout).toBe(plain.stdout);
  });
});
