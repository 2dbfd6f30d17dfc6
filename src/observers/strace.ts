/** strace -c's summary table: calls, errors and time per system call, and the total row. */
export interface SyscallSummary {
  calls: number;
  errors: number;
  seconds: number;
  bySyscall: { name: string; calls: number; errors: number; seconds: number }[];
}

/**
 * Parses the table `strace -c` writes (to stderr or its -o file):
 * "% time     seconds  usecs/call     calls    errors syscall" … "100.00    0.012345           3      4000        12 total".
 */
export function parseStraceSummary(text: string): SyscallSummary {
  const rows = text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 5 && /^\d+\.\d+$/.test(f[0]!) && /^\d+\.\d+$/.test(f[1]!))
    .map((f) => {
      // The errors column is empty when a call never failed, so rows have 5 or 6 fields.
      const name = f[f.length - 1]!;
      const errors = f.length === 6 ? Number(f[4]) : 0;
      return { name, calls: Number(f[3]), errors, seconds: Number(f[1]) };
    });
  const total = rows.find((r) => r.name === 'total');
  if (!total) throw new Error(`no strace -c summary in: ${text.slice(0, 200)}`);
  return { calls: total.calls, errors: total.errors, seconds: total.seconds, bySyscall: rows.filter((r) => r !== total).sort((a, b) => b.calls - a.calls) };
}
