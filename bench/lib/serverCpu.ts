import { readdirSync, readFileSync } from 'node:fs';
import { DURABLE_SETTINGS, type Server } from '../subjects/durableSettings.js';

/** Linux reports process times in clock ticks of 1/100 s (USER_HZ, `getconf CLK_TCK`). */
const TICKS_PER_SECOND = 100;

/**
 * CPU time used so far by every process whose command is `command` (`postgres`,
 * `redis-server`), in ms, from /proc: user + system time of the living processes plus what
 * their exited children used (PostgreSQL's backends are children of the postmaster, which
 * collects their times when they end). A difference of two readings is what the server spent
 * in between — for every client, so another program using the same server adds to it.
 * Undefined where /proc does not show the server (another OS, another container).
 */
function serverCpuMs(command: string): number | undefined {
  let dirs: string[];
  try {
    dirs = readdirSync('/proc');
  } catch {
    return undefined;
  }
  let ticks = 0;
  let found = false;
  for (const dir of dirs) {
    if (!/^\d+$/.test(dir)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${dir}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    const close = stat.lastIndexOf(')');
    if (stat.slice(stat.indexOf('(') + 1, close) !== command) continue;
    // After "pid (comm) ": state is field 3, utime/stime/cutime/cstime are fields 14–17.
    const fields = stat.slice(close + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    found = true;
  }
  return found ? (ticks * 1000) / TICKS_PER_SECOND : undefined;
}

/**
 * CPU time used so far by the process `pid` (user + system, its exited children included),
 * in ms, from /proc; undefined once it is gone or where /proc does not show it.
 */
export function pidCpuMs(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** This process's CPU time (user + system) so far, in ms. */
export function processCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** The process name each server runs under. */
const COMMANDS: Readonly<Record<Server, string>> = { postgres: 'postgres', redis: 'redis-server' };

/** Reads the CPU time of the server `subject` keeps its jobs in; undefined for in-process ones. */
export function serverCpuOf(subject: string): () => number | undefined {
  const server = DURABLE_SETTINGS[subject]?.server;
  return server === undefined ? () => undefined : () => serverCpuMs(COMMANDS[server]);
}

/**
 * CPU is read this long before the first due time rather than at it: a reading taken by a
 * timer due at the same millisecond as the subject's own wake-up might run after it and miss
 * the work it measures.
 */
export const CPU_LEAD_MS = 20;
