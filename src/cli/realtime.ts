/**
 * Real-time scheduling for the server process (Linux): every thread of this
 * process (the event loop, libuv's and V8's helpers) moves to SCHED_FIFO at a
 * given priority, through util-linux's `chrt`. On a host whose cores the server
 * shares with GUIs, clients or other services, the kernel otherwise lets a woken
 * server thread wait up to a time slice (3–4 ms) behind whatever runs on its
 * core; at real-time priority it runs at once. Needs CAP_SYS_NICE (or root, or
 * an `rtprio` limit); the kernel's RT throttling (sched_rt_runtime_us) still
 * keeps 5 % of each core for everything else.
 * @module
 */
import { spawnSync } from 'node:child_process';

/** Highest SCHED_FIFO priority on Linux. */
export const MAX_RT_PRIORITY = 99;

/** Move all threads of this process to SCHED_FIFO `priority`; returns null, or why it could not. */
export function setRealtimePriority(priority: number, pid = process.pid): string | null {
  if (!Number.isInteger(priority) || priority < 1 || priority > MAX_RT_PRIORITY) return `the priority must be an integer 1..${String(MAX_RT_PRIORITY)}, got ${String(priority)}`;
  if (process.platform !== 'linux') return `real-time scheduling is only supported on Linux (this is ${process.platform})`;
  const r = spawnSync('chrt', ['--all-tasks', '--fifo', '--pid', String(priority), String(pid)], { encoding: 'utf8' });
  if (r.error !== undefined) return `cannot run chrt (util-linux): ${r.error.message}`;
  if (r.status !== 0) return (r.stderr.trim().split('\n').at(-1) ?? '') || `chrt exited with ${String(r.status)}`;
  return null;
}

/** The scheduling policy of `pid` as chrt reports it (e.g. `SCHED_FIFO`), or null. */
export function schedulingPolicy(pid = process.pid): string | null {
  const r = spawnSync('chrt', ['--pid', String(pid)], { encoding: 'utf8' });
  return r.status === 0 ? /policy:\s*(\S+)/.exec(r.stdout)?.[1] ?? null : null;
}
