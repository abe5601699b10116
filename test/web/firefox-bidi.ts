/**
 * A minimal WebDriver BiDi driver for Debian's firefox-esr, enough for a smoke
 * test of the panel in Firefox: launch headless, navigate, evaluate, wait,
 * screenshot. (playwright-core's Firefox needs its own patched build, and its
 * BiDi mode sends commands this ESR does not know.)
 * @module
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { TestChild } from '../helpers/child.js';
import { BROWSER_LAUNCH_MS, needsBrowser } from './harness.js';

export const FIREFOX = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
const INSTALL = 'apt-get install firefox-esr (as .ci/run does), or set FIREFOX_PATH';

/** Skip (outside CI) when Firefox is missing. */
export const firefoxTests = (): { skip?: string } => needsBrowser('Firefox', FIREFOX, INSTALL);

/** A BiDi command that gets no answer in this long fails (the browser is gone or stuck). */
const COMMAND_MS = 30_000;

interface Reply { id?: number; type?: string; result?: Record<string, unknown>; error?: string; message?: string }

export class Firefox {
  readonly #proc: TestChild;
  readonly #ws: WebSocket;
  readonly #profile: string;
  #next = 1;
  readonly #pending = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  context = '';

  private constructor(proc: TestChild, ws: WebSocket, profile: string) {
    this.#proc = proc;
    this.#ws = ws;
    this.#profile = profile;
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as Reply;
      if (m.id === undefined) return; // events: not used
      const p = this.#pending.get(m.id);
      this.#pending.delete(m.id);
      if (m.type === 'error') p?.reject(new Error(`${m.error ?? 'error'}: ${m.message ?? ''}`));
      else p?.resolve(m.result ?? {});
    });
    ws.on('close', () => {
      for (const p of this.#pending.values()) p.reject(new Error('the BiDi connection to Firefox closed'));
      this.#pending.clear();
    });
  }

  /** Start headless Firefox and open a BiDi session; fails within BROWSER_LAUNCH_MS (killing what it started) if it cannot. */
  static async launch(): Promise<Firefox> {
    const missing = needsBrowser('Firefox', FIREFOX, INSTALL, {}).skip;
    if (missing !== undefined) throw new Error(missing);
    const profile = mkdtempSync(join(tmpdir(), 'panel-firefox-'));
    // No updates, telemetry or remote settings: the machine has no outside network.
    writeFileSync(join(profile, 'user.js'), [
      'user_pref("app.update.enabled", false);', 'user_pref("datareporting.policy.dataSubmissionEnabled", false);',
      'user_pref("toolkit.telemetry.enabled", false);', 'user_pref("browser.shell.checkDefaultBrowser", false);',
      'user_pref("network.captive-portal-service.enabled", false);', 'user_pref("services.settings.server", "http://127.0.0.1:9/");',
    ].join('\n'));
    const proc = new TestChild(FIREFOX, ['--headless', '--remote-debugging-port', '0', '--profile', profile, '--no-remote', 'about:blank'], { deadlineMs: 900_000 });
    let ws: WebSocket | null = null;
    try {
      const url = (await proc.waitFor(/WebDriver BiDi listening on (ws:\/\/\S+)/, 'Firefox start', BROWSER_LAUNCH_MS, 'err'))[1] as string;
      const socket = new WebSocket(`${url}/session`, { handshakeTimeout: BROWSER_LAUNCH_MS });
      ws = socket;
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      });
      const ff = new Firefox(proc, socket, profile);
      await ff.send('session.new', { capabilities: {} });
      const tree = await ff.send('browsingContext.getTree', {});
      ff.context = String((tree.contexts as Array<{ context: string }>)[0]?.context);
      return ff;
    } catch (e) {
      ws?.terminate();
      await proc.stop('SIGKILL');
      rmSync(profile, { recursive: true, force: true });
      throw e;
    }
  }

  /** One BiDi command; rejects on an error reply, a closed connection, or no answer within 30 s. */
  send(method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`Firefox did not answer ${method} within ${String(COMMAND_MS)} ms`));
      }, COMMAND_MS);
      this.#pending.set(id, {
        resolve: (r) => { clearTimeout(timer); resolve(r); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      if (this.#ws.readyState !== WebSocket.OPEN) { this.#pending.get(id)?.reject(new Error('the BiDi connection to Firefox is closed')); this.#pending.delete(id); return; }
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
  }

  async viewport(width: number, height: number): Promise<void> {
    await this.send('browsingContext.setViewport', { context: this.context, viewport: { width, height } });
  }

  async goto(url: string): Promise<void> {
    await this.send('browsingContext.navigate', { context: this.context, url, wait: 'complete' });
  }

  /** Evaluate a JS expression (awaiting a promise) and return its JSON value. */
  async eval<T = unknown>(expression: string): Promise<T> {
    const r = await this.send('script.evaluate', {
      expression: `(async () => JSON.stringify(await (${expression})))()`, target: { context: this.context }, awaitPromise: true,
    });
    if (r.type === 'exception') throw new Error(`in the page: ${JSON.stringify(r.exceptionDetails)}`);
    const value = (r.result as { value?: string } | undefined)?.value;
    return (value === undefined ? undefined : JSON.parse(value)) as T;
  }

  /** Poll `expression` until truthy. */
  async until(expression: string, timeoutMs = 15_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (await this.eval<boolean>(`Boolean(${expression})`)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${expression}`);
  }

  async screenshot(path: string): Promise<void> {
    const r = await this.send('browsingContext.captureScreenshot', { context: this.context });
    writeFileSync(path, Buffer.from(String(r.data), 'base64'));
  }

  /** End the session and the browser (SIGKILL after 5 s), and remove its profile. */
  async close(): Promise<void> {
    try { await this.send('session.end', {}); } catch { /* closing anyway */ }
    this.#ws.terminate();
    await this.#proc.stop('SIGTERM', 5000);
    rmSync(this.#profile, { recursive: true, force: true });
  }
}
