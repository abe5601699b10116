/**
 * `npm run bench`: every benchmark group, each in a fresh process (bench/one.ts),
 * printed as it finishes; the last line is one JSON object with all figures
 * (the format CI and the notes quote). `peak_rss_mib` is the largest Node
 * process's peak (the browser's memory is its own).
 * @module
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ONE = fileURLToPath(new URL('./one.ts', import.meta.url));
const results: Record<string, number> = {};
let peak = 0;
for (const group of ['engine', 'store', 'dispatcher', 'v2', 'http', 'worker', 'ui', 'size', 'firstrun', 'epics', 'queue', 'stall', 'scale']) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', ONE, group], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  if (r.status !== 0 || !last.startsWith('{')) {
    // E.g. no Chromium for `ui`: say so and leave its figures out rather than guess them.
    console.log(`${group} bench unavailable (exit ${String(r.status)})${last === '' ? '' : `: ${last}`}`);
    continue;
  }
  const { rss_mib: rss, ...figures } = JSON.parse(last) as Record<string, number>;
  console.log(group, figures);
  Object.assign(results, figures);
  peak = Math.max(peak, rss ?? 0);
}
results.peak_rss_mib = peak;
console.log(JSON.stringify(results));
