/**
 * Which program the engine's worker runs. From dist/ the compiled worker. From
 * the TypeScript sources (under tsx) the compiled worker too when dist/ is at
 * least as new as every source file — a worker that loads ~150 modules through
 * tsx's loader takes seconds to start, the compiled one a fifth of a second —
 * else the sources through tsx (correct, only slower).
 * @module
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface WorkerEntry {
  /** The module the worker imports. */
  readonly url: string;
  /** It is TypeScript: the worker must register tsx first. */
  readonly typescript: boolean;
}

let cached: WorkerEntry | null = null;

export function workerEntry(): WorkerEntry {
  cached ??= pick();
  return cached;
}

function pick(): WorkerEntry {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return { url: new URL('./worker-main.js', here).href, typescript: false };
  const built = new URL('../../dist/host/worker-main.js', here);
  const sources = fileURLToPath(new URL('../', here));
  if (existsSync(built) && newestSource(sources) <= statSync(built).mtimeMs) return { url: built.href, typescript: false };
  return { url: new URL('./worker-main.ts', here).href, typescript: true };
}

/** The newest modification time of the compiled sources (the panel and tests aside). */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) { if (entry.name !== 'web') newest = Math.max(newest, newestSource(path)); continue; }
    if (entry.name.endsWith('.test.ts') || !/\.(ts|json)$/.test(entry.name)) continue;
    newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}
