/**
 * End-to-end harness for the web panel: the server as a real process
 * (`bluesky-dispatcher serve --data DIR`, restartable on the same port), and
 * Debian's Chromium driven by playwright-core, with screenshots of each step
 * saved under test-output/web/.
 * @module
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, type Page, chromium } from 'playwright-core';
import { type TestChild, startServe } from '../helpers/child.js';

export const SHOTS = fileURLToPath(new URL('../../test-output/web/', import.meta.url));
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** How long a browser may take to start before its tests fail (a loaded 2-core machine is slow, never this slow). */
export const BROWSER_LAUNCH_MS = 60_000;

/**
 * describe() options for tests that need the browser at `path`: when it is
 * not installed they are skipped, with one line saying how to install it;
 * under CI=true nothing is skipped, so a missing browser fails the run.
 */
export function needsBrowser(label: string, path: string, install: string, env = process.env): { skip?: string } {
  if (env.CI === 'true') return {};
  try {
    accessSync(path, constants.X_OK);
    return {};
  } catch {
    return { skip: `${label} is not installed (no ${path}): ${install}` };
  }
}

/** Skip (outside CI) when Chromium is missing. */
export const chromiumTests = (): { skip?: string } => needsBrowser('Chromium', CHROMIUM, 'apt-get install chromium (as .ci/run does), or set CHROMIUM_PATH');

/** The flags that let Chromium run as root on a machine with no outside network (stack.md). */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launchBrowser(): Promise<Browser> {
  const missing = needsBrowser('Chromium', CHROMIUM, 'apt-get install chromium (as .ci/run does), or set CHROMIUM_PATH', {}).skip;
  if (missing !== undefined) throw new Error(missing);
  // playwright kills the browser itself when the launch times out or fails.
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: BROWSER_LAUNCH_MS });
}

/** A `serve` child process; `restart()` brings it back on the same port and data directory. */
export class ServerProcess {
  readonly dir: string;
  /** More `serve` arguments (e.g. `--plans FILE`). */
  readonly args: readonly string[];
  port = 0;
  #child: TestChild | null = null;

  constructor(dir: string, args: readonly string[] = []) { this.dir = dir; this.args = args; }

  get httpUrl(): string { return `http://127.0.0.1:${String(this.port)}/`; }
  /** What the server wrote to stderr (its JSON log). */
  get log(): string { return this.#child?.err ?? ''; }

  /** Start and wait until it listens (fails within 30 s, killing the child, if it does not). */
  async start(): Promise<void> {
    const served = await startServe(['--port', String(this.port), '--data', this.dir, ...this.args], { deadlineMs: 600_000 });
    this.#child = served.child;
    this.port = served.port;
  }

  /** SIGKILL: the crash a restart must recover from. */
  async kill(): Promise<void> { await this.#child?.stop('SIGKILL'); this.#child = null; }

  /** SIGTERM: the graceful stop (SIGKILL if it takes over 10 s). */
  async stop(): Promise<void> { await this.#child?.stop('SIGTERM'); this.#child = null; }
}

type Json = string | number | boolean | null;

/** Wait until `fn(arg)` (run in the page) returns truthy. */
export async function until(page: Page, fn: (arg: never) => unknown, arg: Json, timeout = 15_000): Promise<void> {
  // `never`: any one-parameter page function fits; playwright passes `arg` through as JSON.
  await page.waitForFunction(fn as (arg: Json) => unknown, arg, { timeout, polling: 50 });
}

/** A number read off the page (an attribute of the first match). */
export async function attr(page: Page, selector: string, name: string): Promise<number> {
  return Number(await page.locator(selector).first().getAttribute(name));
}

let shot = 0;
/** Save a numbered screenshot of the page: test-output/web/NN-name.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true });
  const path = `${SHOTS}${String(++shot).padStart(2, '0')}-${name}.png`;
  await page.screenshot({ path });
  return path;
}
