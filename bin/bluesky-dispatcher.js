#!/usr/bin/env node
// Entry point. In a checkout of the repository (tsconfig.json beside package.json,
// tsx installed) it runs the TypeScript sources through tsx, so an edit takes effect
// at once and a stale dist/ is never run; an installed package runs the compiled dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = new URL('../', import.meta.url);
const built = fileURLToPath(new URL('dist/cli/main.js', root));
const checkout = existsSync(fileURLToPath(new URL('tsconfig.json', root))) && existsSync(fileURLToPath(new URL('src/cli/main.ts', root)));
let tsx = null;
if (checkout || !existsSync(built)) {
  try { tsx = await import('tsx/esm/api'); } catch { tsx = null; }
}
if (tsx !== null) {
  tsx.register();
  await import(new URL('src/cli/main.ts', root).href);
} else if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  process.stderr.write('bluesky-dispatcher: dist/ is not built and tsx is not installed: run `npm run build` (npm ci does it)\n');
  process.exit(2);
}
