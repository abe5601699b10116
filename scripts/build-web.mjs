#!/usr/bin/env node
// Builds the web panel (src/web) into dist-web/: one ES module bundle (Preact,
// uPlot and the protocol-v2 client inside) plus its CSS and index.html. It runs
// on `npm ci` (prepare), before the tests and before packing, so `serve` always
// has a built panel and users never need a build step of their own.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}dist-web`;
rmSync(out, { recursive: true, force: true });
mkdirSync(`${out}/assets`, { recursive: true });
const t0 = performance.now();
await build({
  entryPoints: { app: `${root}src/web/main.tsx` },
  outdir: `${out}/assets`,
  bundle: true,
  format: 'esm',
  // Current Chromium and Firefox (ESR included); private class fields and top-level await are native there.
  target: ['chrome111', 'firefox115', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: !process.argv.includes('--dev'),
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
copyFileSync(`${root}src/web/index.html`, `${out}/index.html`);
copyFileSync(`${root}src/web/favicon.svg`, `${out}/favicon.svg`);
if (!process.argv.includes('--quiet')) console.log(`web panel built into dist-web/ in ${Math.round(performance.now() - t0)} ms`);
