/**
 * Linux /proc readings of a server's processes: CPU time (user + system) and peak resident set
 * size. A cluster's primary counts together with its workers. Without /proc (not Linux) every
 * reading is `undefined` and the bench prints "n/a".
 */
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat; 100 on every mainstream Linux build. */
const CLOCK_TICKS_PER_SECOND = 100;

function readStat(pid: number): { ppid: number; cpuSeconds: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is parenthesised and may hold spaces: split after its last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
  const ppid = Number(fields[1]);
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { ppid, cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND };
}

/** `pid` and every live descendant (a cluster primary's workers). */
export function processTree(pid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [pid];
  }
  const children = new Map<number, number[]>();
  for (const entry of entries) {
    const stat = readStat(Number(entry));
    if (!stat) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(Number(entry));
    children.set(stat.ppid, list);
  }
  const tree: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift() as number;
    tree.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return tree;
}

/** CPU seconds (user + system) used so far by the given processes; undefined without /proc. */
export function cpuSeconds(pids: readonly number[]): number | undefined {
  let total = 0;
  let seen = false;
  for (const pid of pids) {
    const stat = readStat(pid);
    if (!stat) continue;
    total += stat.cpuSeconds;
    seen = true;
  }
  return seen ? total : undefined;
}

/** Peak resident set size (VmHWM, since the process started) in MiB, summed over the given processes; undefined without /proc. */
export function peakRssMiB(pids: readonly number[]): number | undefined {
  return statusMiB(pids, 'VmHWM');
}

/** Resident set size now (VmRSS) in MiB, summed over the given processes; undefined without /proc. */
export function rssMiB(pids: readonly number[]): number | undefined {
  return statusMiB(pids, 'VmRSS');
}

function statusMiB(pids: readonly number[], field: 'VmHWM' | 'VmRSS'): number | undefined {
  let totalKiB = 0;
  let seen = false;
  for (const pid of pids) {
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/status`, 'utf8');
    } catch {
      continue;
    }
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!match) continue;
    totalKiB += Number(match[1]);
    seen = true;
  }
  return seen ? totalKiB / 1024 : undefined;
}

/** CPU seconds the whole machine has spent busy (user, nice, system, irq, softirq, steal), all cores together. */
export function machineBusySeconds(): number | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/stat', 'utf8');
  } catch {
    return undefined;
  }
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return undefined;
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq + (steal ?? 0)) / CLOCK_TICKS_PER_SECOND;
}
