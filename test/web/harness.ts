/**
 * End-to-end harness for the web panel: the server as a real process
 * (`bluesky-dispatcher serve --data DIR`, restartable on the same port), and
 * Debian's Chromium driven by playwright-core, with screenshots of each step
 * saved under test-output/web/.
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type Browser, type Page, chromium } from 'playwright-core';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
export const SHOTS = fileURLToPath(new URL('../../test-output/web/', import.meta.url));
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The flags that let Chromium run as root on a machine with no outside network (stack.md). */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (.ci/run does), or set CHROMIUM_PATH`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** A `serve` child process; `restart()` brings it back on the same port and data directory. */
export class ServerProcess {
  readonly dir: string;
  port = 0;
  log = '';
  #child: ChildProcess | null = null;

  constructor(dir: string) { this.dir = dir; }

  get httpUrl(): string { return `http://127.0.0.1:${String(this.port)}/`; }

  async start(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', '--port', String(this.port), '--data', this.dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#child = child;
    await new Promise<void>((resolve, reject) => {
      // pino's JSON on stderr says where it listens.
      const rl = createInterface({ input: child.stderr as NodeJS.ReadableStream });
      rl.on('line', (line) => {
        this.log += `${line}\n`;
        const m = /"url":"ws:\/\/[^:]+:(\d+)\//.exec(line);
        if (m?.[1] !== undefined && line.includes('"ready"')) { this.port = Number(m[1]); resolve(); }
      });
      child.once('exit', (code) => reject(new Error(`serve exited (${String(code)}) before it was ready:\n${this.log}`)));
    });
  }

  /** SIGKILL: the crash a restart must recover from. */
  kill(): Promise<void> { return this.#signal('SIGKILL'); }

  /** SIGTERM: the graceful stop. */
  stop(): Promise<void> { return this.#signal('SIGTERM'); }

  async #signal(signal: NodeJS.Signals): Promise<void> {
    const c = this.#child;
    if (c === null || c.exitCode !== null || c.signalCode !== null) return;
    const exited = once(c, 'exit');
    c.kill(signal);
    await exited;
    this.#child = null;
  }
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
