/**
 * `npm run bench`: every benchmark, printed as it finishes; the last line is
 * one JSON object with all figures (the format CI and the notes quote).
 * @module
 */
import { benchEngine } from './engine.js';
import { benchStore } from './store.js';
import { benchUi } from './ui.js';
import { benchV2 } from './v2.js';

const results: Record<string, number> = {};
const engine = await benchEngine();
console.log('engine', engine);
Object.assign(results, engine);
const stored = await benchStore();
console.log('store', stored);
Object.assign(results, stored);
try {
  const path = './dispatcher.js';
  const mod = (await import(path)) as { benchDispatcher?: () => Promise<Record<string, number>> };
  if (mod.benchDispatcher !== undefined) {
    const d = await mod.benchDispatcher();
    console.log('dispatcher', d);
    Object.assign(results, d);
  }
} catch (e) {
  console.log('dispatcher bench unavailable:', e instanceof Error ? e.message : String(e));
}
const v2 = await benchV2();
console.log('v2', v2);
Object.assign(results, v2);
try {
  const ui = await benchUi();
  console.log('ui', ui);
  Object.assign(results, ui);
} catch (e) {
  // No Chromium here: say so, and leave the figure out rather than guess it.
  console.log('ui bench unavailable:', e instanceof Error ? e.message : String(e));
}
// The browser's memory is its own process's; this is the Node side only.
results.peak_rss_mib = Math.round(process.resourceUsage().maxRSS / 1024);
console.log(JSON.stringify(results));
