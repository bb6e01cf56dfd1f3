import { readFileSync } from 'node:fs';

/** What local mode reads of a process in /proc/PID/stat (Linux): its parent, group, session and start time. */
export interface ProcStat {
  ppid: number;
  group: number;
  session: number;
  /** Clock ticks since boot: with the pid, what tells a process from a later one given the same pid. */
  startTime: number;
}

/**
 * The fields of /proc/PID/stat, read after the command name (in parentheses, and free to hold spaces or ')'), or
 * undefined where there is no /proc or no such process.
 */
export function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): ppid 4, pgrp 5, session 6, starttime 22.
  const [ppid, group, session, startTime] = [fields[1], fields[2], fields[3], fields[19]].map(Number);
  if ([ppid, group, session, startTime].some((n) => n === undefined || !Number.isFinite(n))) return undefined;
  return { ppid: ppid as number, group: group as number, session: session as number, startTime: startTime as number };
}
