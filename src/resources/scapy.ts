/** Crafting packets with scapy (Debian's python3-scapy), for what a socket cannot send. */
import { exec } from './process.ts';

/** The system Python that Debian's python3-scapy installs into (not a virtualenv's). */
export const SCAPY_PYTHON = '/usr/bin/python3';

/** Runs a scapy script inside a namespace; `from scapy.all import *` and quiet output are set up. */
export function scapy(netns: string, script: string): Promise<string> {
  return exec(SCAPY_PYTHON, ['-c', `from scapy.all import *\nconf.verb = 0\n${script}`], { netns, timeoutMs: 60_000 });
}
