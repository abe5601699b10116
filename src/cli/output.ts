/**
 * stdout for the CLI: when the reader goes away (`… | head`), output ends
 * quietly — no EPIPE trace. By default the process then exits with its exit
 * code so far; a command with work to wind down (`run`: abort the plan, so a
 * recorded run is closed honestly) registers its own handler instead.
 * @module
 */

let closed = false;
const handlers = new Set<() => void>();

/** True once stdout's reader has gone. */
export function stdoutClosed(): boolean { return closed; }

/** Write to stdout unless its reader has gone (asynchronously: a slow reader is waited for, never an EAGAIN failure). */
export function writeOut(text: string): void {
  if (!closed) process.stdout.write(text);
}

/** While registered, a closed stdout calls `fn` instead of ending the process; returns the removal function. */
export function onStdoutClosed(fn: () => void): () => void {
  handlers.add(fn);
  return () => { handlers.delete(fn); };
}

/** Install the EPIPE handling (once, from main). */
export function watchStdout(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    if (closed) return;
    closed = true;
    if (handlers.size === 0) process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    for (const fn of [...handlers]) fn();
  });
}
