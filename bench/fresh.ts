/**
 * Runs bench/plan-run.ts in fresh processes, compiled the way the package runs
 * (one esbuild bundle, plain `node`, no TypeScript loader): the loader's own
 * thread and per-function name wrappers would add ~40 MiB of RSS and slow the
 * first runs, which is not what a user of the package pays.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const SOURCE = fileURLToPath(new URL('./plan-run.ts', import.meta.url));

/** Result of one fresh process: per-run in-process milliseconds and the peak RSS. */
export interface FreshRun { ms: number[]; rss_mib: number }

/** Bundle plan-run.ts once, hand `use` a runner for fresh processes, then delete the bundle. */
export async function withFreshRunner<T>(use: (run: (args: readonly string[]) => FreshRun) => T | Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-plan-run-'));
  const out = join(dir, 'plan-run.mjs');
  try {
    await build({
      entryPoints: [SOURCE], outfile: out, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'error',
      // Ajv is CommonJS: give the ESM bundle a require for its node: imports.
      banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
    });
    return await use((args) => {
      const r = spawnSync(process.execPath, [out, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 30 * 60_000 });
      const last = r.stdout.trim().split('\n').at(-1) ?? '';
      if (r.status !== 0 || !last.startsWith('{')) throw new Error(`plan-run ${args.join(' ')} failed (exit ${String(r.status)}, ${String(r.signal)})`);
      return JSON.parse(last) as FreshRun;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
