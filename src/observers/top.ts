/** `top -b` (procps-ng) parsed: the summary area's five lines, then the task area's columns and rows. */

export interface TopSummary {
  uptime: string;
  users: number;
  load: number[];
  tasks: Record<string, number>;
  /** us, sy, ni, id, wa, hi, si, st: percentages. */
  cpu: Record<string, number>;
  /** The unit top printed memory in (KiB, MiB, GiB…) and each figure of the Mem and Swap lines. */
  memoryUnit: string;
  memory: Record<string, number>;
  swap: Record<string, number>;
  columns: string[];
  rows: Record<string, string>[];
}

/** "1 running, 82 sleeping" → { running: 1, sleeping: 82 }; "5.2 us" → { us: 5.2 }. */
function figures(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/([\d.]+)\s+([a-zA-Z/][\w/ ]*?)(?=,|\.\s|\s*$)/g)) out[m[2]!.trim()] = Number(m[1]);
  return out;
}

export function parseTop(output: string): TopSummary {
  const lines = output.split('\n');
  const first = lines.find((l) => l.startsWith('top - ')) ?? '';
  const tasks = lines.find((l) => /^(Tasks|Threads):/.test(l)) ?? '';
  const cpu = lines.find((l) => l.startsWith('%Cpu')) ?? '';
  const mem = lines.find((l) => /^\w+ Mem :/.test(l)) ?? '';
  const swap = lines.find((l) => /^\w+ Swap:/.test(l)) ?? '';
  const headerAt = lines.findIndex((l) => /^\s*PID\s+USER/.test(l));
  const columns = headerAt >= 0 ? lines[headerAt]!.trim().split(/\s+/) : [];
  const rows = headerAt >= 0 ? lines.slice(headerAt + 1).filter((l) => l.trim()).map((l) => {
    const cells = l.trim().split(/\s+/);
    // COMMAND, the last column, may hold spaces.
    const row = Object.fromEntries(columns.slice(0, -1).map((c, i) => [c, cells[i] ?? '']));
    row[columns.at(-1)!] = cells.slice(columns.length - 1).join(' ');
    return row;
  }) : [];
  return {
    uptime: first.match(/up\s+(.*?),\s+\d+\s+users?/)?.[1] ?? '',
    users: Number(first.match(/(\d+)\s+users?/)?.[1] ?? NaN),
    load: (first.match(/load average:\s*(.*)$/)?.[1] ?? '').split(',').map((v) => Number(v.trim())).filter((v) => !Number.isNaN(v)),
    tasks: figures(tasks.replace(/^\w+:\s*/, '')),
    cpu: figures(cpu.replace(/^%Cpu\(s\):\s*/, '')),
    memoryUnit: mem.split(' ')[0] ?? '',
    memory: figures(mem.replace(/^\w+ Mem :\s*/, '')),
    swap: figures(swap.replace(/^\w+ Swap:\s*/, '').replace(/avail Mem.*$/, '')),
    columns,
    rows,
  };
}

/** `vmstat` lines parsed: one record per sample, keyed by its column names (r, b, us, sy, id, wa…). */
export function parseVmstat(output: string): Record<string, number>[] {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  const header = lines.find((l) => /^r\s+b\s/.test(l));
  if (!header) return [];
  const names = header.split(/\s+/);
  return lines.filter((l) => /^\d/.test(l)).map((l) => Object.fromEntries(l.split(/\s+/).map((v, i) => [names[i]!, Number(v)])));
}
