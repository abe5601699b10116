/**
 * The CLI's error policy: a usage or environment error (bad flag, file that
 * cannot be written, port in use, no server at the URL) is ONE line on stderr
 * and exit code 2; only a bug prints a stack.
 * @module
 */

/** A user or environment error: printed as one line (`error: MESSAGE`), exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Node's system errors carry an errno `code` such as ENOENT (not Node's own ERR_* codes, which may be bugs); `syscall`, `path`, `port` when known. */
interface SystemError extends Error { code: string; syscall?: string; path?: string; port?: number; address?: string }

export function isSystemError(e: unknown): e is SystemError {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && /^E[A-Z_]+$/.test(code) && !code.startsWith('ERR_');
}

const WHY: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EEXIST: 'already exists',
  EMFILE: 'too many open files',
};

/**
 * One line for a system error met while doing `what` (e.g. "cannot write
 * --jsonl /x/y.jsonl"), or null if `e` is not a system error.
 * @example describeSystemError(enoent, 'cannot write --jsonl /nonexistent/x.jsonl')
 * // 'cannot write --jsonl /nonexistent/x.jsonl: no such file or directory (ENOENT)'
 */
export function describeSystemError(e: unknown, what: string): string | null {
  if (!isSystemError(e)) return null;
  return `${what}: ${WHY[e.code] ?? e.message} (${e.code})`;
}

/** The one line for a server that cannot listen on `host:port`. */
export function describeListenError(e: unknown, host: string, port: number): string | null {
  if (!isSystemError(e)) return null;
  const where = `${host}:${String(port)}`;
  if (e.code === 'EADDRINUSE') return `cannot listen on ${where}: the port is in use (another server?); stop it or choose another --port`;
  if (e.code === 'EACCES') return `cannot listen on ${where}: permission denied (ports below 1024 need privileges); choose --port 1024 or above`;
  if (e.code === 'EADDRNOTAVAIL') return `cannot listen on ${where}: this machine has no such address; check --host`;
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return `cannot listen on ${where}: unknown host; check --host`;
  return null;
}

/** `--port`: an integer 0..65535 (0: any free port), else a UsageError naming what was given. */
export function parsePort(value: string | number, flag = '--port', min = 0): number {
  const n = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > 65535) throw new UsageError(`${flag} must be an integer ${String(min)}..65535, got '${String(value)}'`);
  return n;
}
