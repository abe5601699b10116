/**
 * Loading users' plans modules (`serve --plans FILE`): `.ts`, `.js` or `.mjs`,
 * whether this package runs from its TypeScript sources or from dist/, and with
 * `bluesky-dispatcher` (and its subpaths) resolving to the very copy that is
 * running, so a plan and the engine share one set of classes. Also the
 * provenance hash that goes into every start document.
 * @module
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { register } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PlanRegistrar } from './room.js';

/** The plans modules loaded, their hash and the scans they added. */
export interface LoadedPlans {
  readonly modules: string[];
  /** SHA-256 (hex) of the modules' bytes concatenated in load order: `cat FILES | sha256sum`. */
  readonly sha256: string;
  readonly added: string[];
}

/** A plans module that could not be loaded, with the file and the cause in one line. */
export class PlanModuleError extends Error {
  readonly file: string;
  constructor(file: string, cause: unknown) {
    super(`cannot load plans module ${file}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'PlanModuleError';
    this.file = file;
  }
}

/** This package's root, and whether this thread runs its TypeScript sources (under tsx) or dist/. */
const HERE = import.meta.url;
const FROM_SOURCES = HERE.endsWith('.ts');
const ROOT = new URL('../../', HERE);

let hooked = false;

/**
 * Point `bluesky-dispatcher[/sub]` at the running copy (src/*.ts or dist/*.js) for
 * every later import in this thread. The hook is a data: URL module, so it needs
 * no build step and no TypeScript loader of its own.
 */
export function usePackageSelf(): void {
  if (hooked) return;
  hooked = true;
  const map: Record<string, string> = {};
  const pkg = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { name: string; exports: Record<string, string | { default?: string }> };
  for (const [key, target] of Object.entries(pkg.exports)) {
    const file = typeof target === 'string' ? target : target.default;
    if (file === undefined || !file.startsWith('./dist/')) continue;
    const path = FROM_SOURCES ? `./src/${file.slice('./dist/'.length).replace(/\.js$/, '.ts')}` : file;
    map[key === '.' ? pkg.name : `${pkg.name}/${key.slice(2)}`] = new URL(path, ROOT).href;
  }
  // The mapped URL goes on down the chain, so a TypeScript loader there still sees it.
  const hook = `let map = {};
export function initialize(data) { map = data.map; }
export async function resolve(specifier, context, next) {
  const url = map[specifier];
  return next(url ?? specifier, context);
}`;
  register(`data:text/javascript,${encodeURIComponent(hook)}`, { data: { map } });
}

let generation = 0;

/**
 * Import each module and call its `register(dispatcher)` with `registrar`.
 * `fresh`: import again even if imported before (reload; only the named files are re-read).
 * @throws PlanModuleError naming the file that failed
 */
export async function loadPlanModules(registrar: PlanRegistrar, files: readonly string[], options: { fresh?: boolean } = {}): Promise<LoadedPlans> {
  if (files.length > 0) usePackageSelf();
  const modules = files.map((f) => resolve(f));
  const hash = createHash('sha256');
  const before = new Set(registrar.scanNames);
  const tag = options.fresh === true ? `?reload=${String(++generation)}` : '';
  for (const file of modules) {
    let source: Buffer;
    try { source = readFileSync(file); } catch (e) { throw new PlanModuleError(file, e); }
    hash.update(source);
    let mod: { register?: unknown; default?: { register?: unknown } };
    try {
      mod = (await importModule(`${pathToFileURL(file).href}${tag}`)) as typeof mod;
    } catch (e) { throw new PlanModuleError(file, e); }
    const fn = mod.register ?? mod.default?.register;
    if (typeof fn !== 'function') throw new PlanModuleError(file, new Error('it must export a function register(dispatcher)'));
    try { await (fn as (r: PlanRegistrar) => unknown)(registrar); } catch (e) { throw new PlanModuleError(file, e); }
  }
  return { modules, sha256: hash.digest('hex'), added: registrar.scanNames.filter((n) => !before.has(n)) };
}

let tsxRegistered = FROM_SOURCES;

/**
 * TypeScript files need tsx when this thread runs compiled JavaScript. Registered for
 * the whole thread, not namespaced (tsImport): a namespace would give the plan its own
 * copies of every module it imports, so its RequestAbort would not be the engine's.
 */
async function importModule(url: string): Promise<unknown> {
  if (!tsxRegistered && /\.(ts|mts|cts)(\?|$)/.test(url)) {
    // Both halves, as `node --import tsx` does: a .ts file outside an ESM package is CommonJS.
    const [esm, cjs] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]);
    esm.register();
    cjs.register();
    tsxRegistered = true;
  }
  return import(url);
}
