/**
 * CPU time of processes, from /proc (Linux): what bench/run.ts and bench/writes.ts use to say how
 * much of the machine each party of a measurement used. Elsewhere every figure is NaN.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second, the unit of /proc's CPU times. */
export const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

/** The fields of /proc/<pid>/stat after "pid (comm) ", and the command name; null if gone. */
function stat(pid: number): { comm: string; fields: string[] } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = text.lastIndexOf(')');
    return { comm: text.slice(text.indexOf('(') + 1, close), fields: text.slice(close + 2).split(' ') };
  } catch {
    return null;
  }
}

/** CPU time (user + system, all threads) a process has used so far, in seconds. */
export function cpuSeconds(pid: number): number {
  const s = stat(pid);
  // After "pid (comm) ": state is field 3, utime field 14, stime field 15 (1-based, man proc).
  return s ? (Number(s.fields[11]) + Number(s.fields[12])) / clockTicks : Number.NaN;
}

/** CPU time, in seconds, of every process named `postgres` on the machine (server and backends). */
export function postgresCpuSeconds(): number {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return Number.NaN;
  }
  let total = 0;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(Number(entry));
    if (s?.comm === 'postgres') total += (Number(s.fields[11]) + Number(s.fields[12])) / clockTicks;
  }
  return total;
}
