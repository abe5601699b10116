/**
 * The plain-HTTP side of the server beyond `/healthz`: the web panel's static
 * files (built into dist-web/ by scripts/build-web.mjs) and the run export
 * (`GET /api/runs/UID/export.jsonl`, suitcase-jsonl). Websocket upgrades on `/`
 * and `/v2` never reach here, so the panel and protocol v1 share the root path.
 * @module
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { RunStore } from '../store/index.js';

/** Where the built panel lives: dist-web/ at the package root (this file is in src/server or dist/server). */
export const WEB_ROOT = fileURLToPath(new URL('../../dist-web/', import.meta.url));

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.map': 'application/json', '.svg': 'image/svg+xml', '.txt': 'text/plain; charset=utf-8',
};

/** The files of the panel, read once: a fixed list, so no request path ever reaches the file system. */
export class WebAssets {
  readonly #files = new Map<string, { body: Buffer; type: string; etag: string }>();
  readonly built: boolean;

  constructor(root = WEB_ROOT) {
    this.built = existsSync(`${root}index.html`);
    if (!this.built) return;
    const add = (urlPath: string, file: string): void => {
      const ext = /\.[a-z]+$/.exec(file)?.[0] ?? '.txt';
      const body = readFileSync(`${root}${file}`);
      this.#files.set(urlPath, { body, type: TYPES[ext] ?? 'application/octet-stream', etag: `"${statSync(`${root}${file}`).mtimeMs.toString(36)}-${body.length.toString(36)}"` });
    };
    add('/', 'index.html');
    add('/index.html', 'index.html');
    add('/favicon.svg', 'favicon.svg');
    for (const f of ['app.js', 'app.js.map', 'app.css', 'app.css.map', 'app.js.LEGAL.txt']) {
      if (existsSync(`${root}assets/${f}`)) add(`/assets/${f}`, `assets/${f}`);
    }
  }

  /** Answer `GET path` if it is one of the panel's files; false if not ours. */
  serve(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    if (path === '/' && !this.built) {
      sendText(res, 503, 'text/plain; charset=utf-8', 'The web panel is not built. Run `npm run build:web` (npm ci does it), then restart the server.\nProtocol v1 is at ws://HOST:PORT/ and v2 at ws://HOST:PORT/v2.\n');
      return true;
    }
    const f = this.#files.get(path);
    if (f === undefined) return false;
    // Not content-hashed, so revalidate every time; the ETag keeps that to a 304.
    const headers = { 'content-type': f.type, etag: f.etag, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' };
    if (req.headers['if-none-match'] === f.etag) { res.writeHead(304, headers); res.end(); return true; }
    res.writeHead(200, { ...headers, 'content-length': f.body.length });
    res.end(req.method === 'HEAD' ? undefined : f.body);
    return true;
  }
}

// A trailing slash too: the API's router ignores one, and a hijacked reply that matched nothing here was never answered.
const EXPORT = /^\/api\/runs\/([^/]+)\/export\.jsonl\/?$/;

/**
 * `GET /api/runs/UID/export.jsonl`: the run as suitcase-jsonl, one `[name, doc]` per line, streamed
 * page by page (bounded memory; the loop yields between pages). False if not this route.
 * A read that fails before the first byte answers 500; after it, the response is cut short.
 */
export function serveExport(res: ServerResponse, path: string, store: RunStore | null, onError: (e: unknown) => void = () => {}): boolean {
  const m = EXPORT.exec(path);
  if (m === null) return false;
  let uid: string;
  try { uid = decodeURIComponent(m[1] ?? ''); } catch {
    sendJson(res, 400, { error: 'the run uid in the path is not valid percent-encoding', code: 'bad_request' });
    return true;
  }
  if (store === null) { sendJson(res, 404, { error: 'this server keeps no runs (started with --no-data)', code: 'no_store' }); return true; }
  void streamExport(res, store, uid, onError);
  return true;
}

async function streamExport(res: ServerResponse, store: RunStore, uid: string, onError: (e: unknown) => void): Promise<void> {
  try {
    const run = await store.getRun(uid);
    if (run === undefined) { sendJson(res, 404, { error: `no run with uid ${JSON.stringify(uid)}`, code: 'unknown_run' }); return; }
    const name = `run-${String(run.scanId ?? 'x')}-${uid.slice(0, 8)}.jsonl`;
    res.writeHead(200, {
      'content-type': 'application/x-ndjson; charset=utf-8',
      'content-disposition': `attachment; filename="${name}"`, 'cache-control': 'no-store',
    });
    for await (const chunk of store.exportRun(uid)) {
      if (res.destroyed) return;
      if (!res.write(chunk)) await drained(res);
    }
    res.end();
  } catch (e) {
    onError(e);
    if (!res.headersSent) sendJson(res, 500, { error: `export failed: ${e instanceof Error ? e.message : String(e)}`, code: 'store_failed' });
    else res.destroy(); // chunked encoding without its last chunk: the client sees an incomplete transfer
  }
}

/** Resolves when `res` can take more, or is closed. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => { res.off('drain', done); res.off('close', done); resolve(); };
    res.on('drain', done);
    res.on('close', done);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendText(res, status, 'application/json', JSON.stringify(body));
}

function sendText(res: ServerResponse, status: number, type: string, text: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
