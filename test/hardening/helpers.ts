/**
 * Test plumbing for the hardening suite: `serve` in this process with a run
 * store in a temp dir (what the CLI runs), its log lines captured, and raw
 * HTTP requests with any Host/Origin headers (fetch would not let a test set them).
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { pino } from 'pino';
import { type ServeOptions, type Served, serve } from '../../src/cli/serve.js';
import { createLogger } from '../../src/server/index.js';

export interface Hardened extends Served {
  /** Log lines written so far, parsed. */
  lines: Array<Record<string, unknown> & { msg: string; level: number }>;
  http: string;
  close(): Promise<void>;
}

/** `serve` on port 0 with a store in a fresh temp dir (removed by close()). */
export async function startServe(opts: ServeOptions = {}): Promise<Hardened> {
  const dir = mkdtempSync(join(tmpdir(), 'hardening-'));
  const lines: Hardened['lines'] = [];
  const sink = new Writable({ write(chunk: Buffer, _e, cb) { for (const l of String(chunk).split('\n')) if (l !== '') lines.push(JSON.parse(l) as Hardened['lines'][number]); cb(); } });
  const logger = createLogger({ level: 'info', destination: sink as unknown as pino.DestinationStream });
  const served = await serve({ port: 0, data: dir, engine: 'inprocess', logger, ...opts });
  return {
    ...served, lines, http: `http://127.0.0.1:${String(served.server.port)}`,
    close: async () => {
      await served.dispatcher.stop('test over');
      await served.store?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RawResponse { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** One HTTP request with exactly these headers (`host` included); 10 s deadline. */
export function rawGet(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, timeout: 10_000, setHost: !('host' in headers) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
