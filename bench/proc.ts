/**
 * CPU time of processes, from /proc (Linux): what bench/run.ts and bench/writes.ts use to say how
 * much of the machine each party of a measurement used. Elsewhere every figure is NaN.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second, the unit of /proc's CPU times. */
export const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

/** A process's command name and CPU time (user + system, all threads) so far; null if gone. */
function stat(pid: number): { comm: string; cpuSeconds: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = text.lastIndexOf(')');
    // After "pid (comm) ": state is field 3, utime field 14, stime field 15 (1-based, man proc).
    const fields = text.slice(close + 2).split(' ');
    return {
      comm: text.slice(text.indexOf('(') + 1, close),
      cpuSeconds: (Number(fields[11]) + Number(fields[12])) / clockTicks,
    };
  } catch {
    return null;
  }
}

/** CPU time (user + system, all threads) a process has used so far, in seconds. */
export function cpuSeconds(pid: number): number {
  return stat(pid)?.cpuSeconds ?? Number.NaN;
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
    if (s?.comm === 'postgres') total += s.cpuSeconds;
  }
  return total;
}
