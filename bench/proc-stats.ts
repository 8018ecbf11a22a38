import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

/** Linux USER_HZ: the unit of utime and stime in /proc/<pid>/stat on every mainstream kernel. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * User plus system CPU time of a whole process (all its threads) and of every process it started (the
 * workers of `SLUICE_WORKERS`), in milliseconds, from /proc/<pid>/stat and /proc/<pid>/task/<tid>/children.
 */
export function readCpuTimeMs(pid: number): number {
  let total = readOwnCpuTimeMs(pid);
  for (const child of childrenOf(pid)) total += readCpuTimeMs(child);
  return total;
}

function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1').split(' ').filter((entry) => entry !== '').map(Number),
    );
  } catch {
    // The process (or one of its threads) has just exited.
    return [];
  }
}

function readOwnCpuTimeMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const userTicks = Number(fields[11]);
  const systemTicks = Number(fields[12]);
  return ((userTicks + systemTicks) * 1000) / CLOCK_TICKS_PER_SECOND;
}

export interface MemoryStatus {
  rssBytes: number;
  peakRssBytes: number;
}

/** Current (VmRSS) and peak (VmHWM) resident set size from /proc/<pid>/status. */
export function readMemoryStatus(pid: number): MemoryStatus {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  return { rssBytes: readKilobytes(status, 'VmRSS') * 1024, peakRssBytes: readKilobytes(status, 'VmHWM') * 1024 };
}

function readKilobytes(status: string, key: string): number {
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  if (match === null) throw new Error(`/proc status has no ${key}`);
  return Number(match[1]);
}

/**
 * Resets VmHWM to the current RSS (writing 5 to /proc/<pid>/clear_refs, Linux 4.0+), so the next peak
 * belongs to the next phase. Returns false where the kernel or permissions refuse it.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * TcpExt ListenOverflows from /proc/net/netstat: connections dropped because a listening socket's accept
 * queue was full. It counts for the whole network namespace, so read it around a phase to attribute it.
 */
export function readListenOverflows(): number {
  const lines = readFileSync('/proc/net/netstat', 'latin1').split('\n');
  for (let index = 0; index + 1 < lines.length; index += 2) {
    const keys = (lines[index] as string).split(/\s+/);
    if (keys[0] !== 'TcpExt:') continue;
    const values = (lines[index + 1] as string).split(/\s+/);
    return Number(values[keys.indexOf('ListenOverflows')]);
  }
  return Number.NaN;
}
