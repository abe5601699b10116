/**
 * Helpers for the packaging tests: npm as a child process, the tarball of the
 * package as it is now (built into a staging copy, so the checkout's dist/ and
 * dist-web/ are never touched while other tests run), and a project that
 * installs it.
 * @module
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestChild } from '../helpers/child.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
/** tsx's loader, by absolute URL: the projects these tests make do not have tsx installed. */
export const TSX = import.meta.resolve('tsx');

/** Errors that mean "npm could not reach the registry" (as opposed to "the package is broken"). */
export const OFFLINE = /ENOTCACHED|EAI_AGAIN|ENOTFOUND|ECONNREFUSED|ETIMEDOUT|ECONNRESET|network/;

/** The environment for a child npm or node: ours without the test runner's and npm's lifecycle variables. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'NODE_TEST_CONTEXT' || k.startsWith('npm_') || k === 'INIT_CWD') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

export interface Ran { code: number | null; out: string; err: string }

/** Run a command to its end (killed after `deadlineMs`); rejects with its output when it fails, unless `allowFailure`. */
export async function run(cmd: string, args: readonly string[], opts: { cwd: string; deadlineMs?: number; env?: NodeJS.ProcessEnv; allowFailure?: boolean }): Promise<Ran> {
  const c = new TestChild(cmd, args, { cwd: opts.cwd, env: opts.env ?? cleanEnv(), deadlineMs: opts.deadlineMs ?? 180_000 });
  const { code, signal } = await c.exited;
  const r = { code, out: c.out, err: c.err };
  if (code !== 0 && opts.allowFailure !== true) {
    const why = c.startError?.message ?? (signal === null ? `exit ${String(code)}` : `killed (${signal}) at the deadline`);
    throw new Error(`${cmd} ${args.join(' ')} failed (${why}) in ${opts.cwd}\n--- stdout\n${c.out.slice(-3000)}\n--- stderr\n${c.err.slice(-3000)}`);
  }
  return r;
}

/**
 * `npm pack` of the package as the sources are now: the files npm would ship
 * are copied to `work/stage`, dist/ is compiled there from src/, and npm packs
 * that copy. Returns the tarball's path.
 */
export async function packPackage(work: string): Promise<string> {
  const listing = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT });
  const files = (JSON.parse(listing.out) as Array<{ files: Array<{ path: string }> }>)[0]?.files.map((f) => f.path) ?? [];
  const stage = join(work, 'stage');
  for (const f of files) {
    if (f.startsWith('dist/')) continue; // compiled fresh below
    mkdirSync(dirname(join(stage, f)), { recursive: true });
    copyFileSync(join(ROOT, f), join(stage, f));
  }
  if (!files.some((f) => f.startsWith('dist-web/'))) throw new Error('dist-web/ is not built (npm ci and npm test build it)');
  await run(process.execPath, [TSC, '-p', join(ROOT, 'tsconfig.json'), '--outDir', join(stage, 'dist')], { cwd: ROOT });
  const packed = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: stage });
  const name = (JSON.parse(packed.out) as Array<{ filename: string }>)[0]?.filename ?? '';
  return join(work, name);
}

/**
 * A project in `dir` that installs `tarball` (and its dependencies, from npm's
 * cache when it has them). Install scripts are skipped, so better-sqlite3 is
 * not compiled again: the checkout's built native module (same locked version)
 * is copied in instead. Returns npm's result: a failure to reach the registry
 * is the caller's to judge.
 */
export async function installInto(dir: string, tarball: string): Promise<Ran> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'tour-project', private: true, type: 'module', dependencies: { 'bluesky-dispatcher': `file:${tarball}` } }, null, 2)}\n`);
  const r = await run('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, allowFailure: true, deadlineMs: 300_000 });
  if (r.code !== 0) return r;
  const native = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';
  const ours = JSON.parse(readFileSync(join(ROOT, 'node_modules/better-sqlite3/package.json'), 'utf8')) as { version: string };
  const theirs = JSON.parse(readFileSync(join(dir, 'node_modules/better-sqlite3/package.json'), 'utf8')) as { version: string };
  if (ours.version !== theirs.version) throw new Error(`better-sqlite3 ${theirs.version} installed, the checkout has ${ours.version}: cannot reuse its native module`);
  if (!existsSync(join(ROOT, native))) throw new Error(`the checkout has no ${native} (npm ci builds it)`);
  cpSync(join(ROOT, native), join(dir, native));
  return r;
}

/** The ```ts blocks of the README section headed `heading`, joined: the code a reader would paste. */
export function readmeCode(heading: string): string {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = text.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README.md has no section "## ${heading}"`);
  const end = text.indexOf('\n## ', start + 4);
  const section = text.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).join('\n');
}
