/**
 * src/setup/runc-within-bounds, run for real under `capsh --drop=cap_sys_resource`, so that on any
 * host CAP_SYS_RESOURCE is outside its bounding set: a spec that asks for every capability (a
 * privileged container, or exec: every one up to the highest it names) is rewritten to what the
 * bounding set has; any other spec is left as it is. runc then fails here (the bundle has no root filesystem), which is not what is tested.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const WRAPPER = new URL('../../src/setup/runc-within-bounds', import.meta.url).pathname;

/** Capability names as runc's spec has them, from capsh's own decoding of a mask. */
async function names(mask: bigint): Promise<string[]> {
  const { stdout } = await execa('capsh', [`--decode=0x${mask.toString(16)}`]);
  return stdout.split('=')[1]!.split(',').map((name) => name.toUpperCase());
}

const lastCap = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
const EVERY = await names((1n << BigInt(lastCap + 1)) - 1n);
/** What Docker 28 gives a privileged container (read from the spec it handed runc): CAP_CHOWN (0) to CAP_AUDIT_READ (37). */
const DOCKER_PRIVILEGED = await names((1n << 38n) - 1n);
const bounding = BigInt(`0x${readFileSync('/proc/self/status', 'utf8').match(/^CapBnd:\s+([0-9a-f]+)$/m)![1]}`);
const within = async (asked: string[]) => (await names(bounding)).filter((name) => asked.includes(name) && name !== 'CAP_SYS_RESOURCE');
const sets = (list: string[]) => ({ bounding: list, effective: list, permitted: list, inheritable: [], ambient: list });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'labs-runc-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The wrapper with CAP_SYS_RESOURCE dropped from its bounding set. */
function wrapper(args: string[]) {
  return execa('capsh', ['--drop=cap_sys_resource', '--', '-c', 'exec "$@"', 'sh', WRAPPER, '--root', join(dir, 'state'), ...args], { reject: false });
}

function container(capabilities: ReturnType<typeof sets>): string {
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ociVersion: '1.0.2', process: { args: ['true'], capabilities }, hostname: 'node' }));
  return dir;
}

describe('runc-within-bounds', () => {
  it('keeps of a privileged container\'s capabilities those in the bounding set, and the rest of its spec', async () => {
    await wrapper(['create', '--bundle', container(sets(DOCKER_PRIVILEGED)), `labs-test-${process.pid}`]);
    const spec = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(spec.process.capabilities).toEqual(sets(await within(DOCKER_PRIVILEGED)));
    expect(spec).toMatchObject({ ociVersion: '1.0.2', process: { args: ['true'] }, hostname: 'node' });
  });

  it('does the same to a privileged exec\'s process spec', async () => {
    const spec = join(dir, 'process.json');
    writeFileSync(spec, JSON.stringify({ args: ['sh'], capabilities: sets(EVERY) }));
    await wrapper(['exec', '--process', spec, 'no-such-container']);
    expect(JSON.parse(readFileSync(spec, 'utf8'))).toEqual({ args: ['sh'], capabilities: sets(await within(EVERY)) });
  });

  it('leaves a container that names the capabilities it wants as it is, a withheld one included', async () => {
    const named = sets(['CAP_CHOWN', 'CAP_NET_ADMIN', 'CAP_SYS_RESOURCE']);
    await wrapper(['create', '--bundle', container(named), `labs-test-${process.pid}`]);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).process.capabilities).toEqual(named);
  });

  it('hands anything else to runc unchanged', async () => {
    const [wrapped, plain] = await Promise.all([execa(WRAPPER, ['--version']), execa('runc', ['--version'])]);
    expect(wrapped.stdout).toBe(plain.stdout);
  });
});
