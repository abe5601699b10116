/**
 * Where the client commands connect (`--url` or `--port`, the `/v2` path
 * added when missing) and what to say when that fails: one line with a hint
 * (nothing listening, an http:// address, a v1 or unknown endpoint), never
 * the bare "connection closed (1000)".
 * @module
 */
import type { Command } from 'commander';
import { WebSocket } from 'ws';
import { DispatcherClient } from '../protocol/v2/client.js';
import { UsageError, isSystemError, parsePort } from './errors.js';

export const DEFAULT_URL = 'ws://127.0.0.1:8765/v2';
/** How long a command waits for the server's first answer. */
export const CONNECT_TIMEOUT_MS = 10_000;

export interface UrlOptions { url?: string; port?: string }

/** Add `--url` and `--port` to a client command. */
export function withUrlOptions(cmd: Command): Command {
  return cmd
    .option('--url <url>', `the server, e.g. ws://HOST:PORT (the /v2 path is added when missing; default ${DEFAULT_URL})`)
    .option('--port <port>', 'the server on this machine at this port (ws://127.0.0.1:PORT/v2)');
}

/**
 * The v2 endpoint to use.
 * @throws UsageError for both flags, a bad port, an http(s):// or other non-websocket URL
 * @example resolveUrl({ url: 'ws://10.0.0.5:8765' }) // 'ws://10.0.0.5:8765/v2'
 */
export function resolveUrl(opts: UrlOptions): string {
  if (opts.url !== undefined && opts.port !== undefined) throw new UsageError('give --url or --port, not both');
  if (opts.port !== undefined) return `ws://127.0.0.1:${String(parsePort(opts.port, '--port', 1))}/v2`;
  if (opts.url === undefined) return DEFAULT_URL;
  const given = opts.url.trim();
  // "localhost:8765": a host and port without a scheme.
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(given) ? given : `ws://${given}`;
  let u: URL;
  try { u = new URL(text); } catch { throw new UsageError(`--url '${given}' is not a URL; expected ws://HOST:PORT`); }
  if (u.protocol === 'http:' || u.protocol === 'https:') {
    const ws = `${u.protocol === 'https:' ? 'wss' : 'ws'}://${u.host}`;
    throw new UsageError(`--url ${given} is an HTTP address (the web panel's); the command line speaks websockets: --url ${ws}${u.port === '' ? '' : ` (or --port ${u.port})`}`);
  }
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new UsageError(`--url ${given}: expected a ws:// or wss:// URL, got ${u.protocol}//`);
  if (u.pathname === '' || u.pathname === '/') u.pathname = '/v2';
  return u.href;
}

/**
 * A client whose first request (`hello`) has been answered.
 * @throws UsageError with a one-line hint when the server cannot be reached or is not a v2 endpoint
 */
export async function connect(url: string, timeoutMs = CONNECT_TIMEOUT_MS): Promise<DispatcherClient> {
  const client = new DispatcherClient(url);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      client.hello(),
      new Promise((_resolve, reject) => { timer = setTimeout(() => reject(new Error('timeout')), timeoutMs); }),
    ]);
    return client;
  } catch {
    client.close();
    throw new UsageError(await diagnose(url, timeoutMs));
  } finally {
    clearTimeout(timer);
  }
}

/** Why `url` does not work as a v2 endpoint, found by a probe of its own. */
export function diagnose(url: string, timeoutMs = CONNECT_TIMEOUT_MS): Promise<string> {
  const origin = url.replace(/^(wss?:\/\/[^/]+).*$/, '$1');
  return new Promise((resolve) => {
    let settled = false;
    const ws = new WebSocket(url, { handshakeTimeout: timeoutMs });
    const done = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => { /* closing anyway */ });
      ws.terminate();
      resolve(why);
    };
    const timer = setTimeout(() => done(`no answer from ${url} within ${String(timeoutMs / 1000)} s`), timeoutMs);
    ws.on('unexpected-response', (req, res) => {
      req.destroy();
      done(`${url} is not a websocket endpoint (HTTP ${String(res.statusCode)}); a bluesky-dispatcher server's is ${origin}/v2`);
    });
    ws.on('error', (e) => {
      if (isSystemError(e) && e.code === 'ECONNREFUSED') done(`nothing is listening at ${url}: start one with \`bluesky-dispatcher serve\`, or give --url or --port`);
      else if (isSystemError(e) && (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN')) done(`unknown host in ${url}`);
      else done(`cannot connect to ${url}: ${e.message}`);
    });
    ws.on('open', () => ws.send(JSON.stringify({ id: 1, op: 'hello' })));
    ws.on('message', (data) => {
      let f: Record<string, unknown> = {};
      try { f = JSON.parse(String(data)) as Record<string, unknown>; } catch { /* not JSON: not ours */ }
      if ('success' in f || f.type === 'status') done(`${url} speaks protocol v1 (the Python dispatcher's); the command line needs protocol v2: ${origin}/v2`);
      else if (f.id === 1 && f.ok === true) done(`${url} answered only after ${String(timeoutMs / 1000)} s; try again`);
      else done(`${url} does not speak protocol v2 (its answer: ${String(data).slice(0, 80)})`);
    });
    ws.on('close', (code) => done(`${url} closed the connection (${String(code)}) without answering; is it a bluesky-dispatcher v2 endpoint (${origin}/v2)?`));
  });
}
