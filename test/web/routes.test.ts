/** The panel's HTTP side: static files at `/` beside protocol v1's websocket, and the run export. @module */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { pino } from 'pino';
import { WebSocket } from 'ws';
import { type Served, serve } from '../../src/cli/serve.js';
import { createDispatcher, createLogger, serverOf } from '../../src/server/index.js';
import { TempDirs } from '../store/tmp.js';

const dirs = new TempDirs();
const quiet = () => createLogger({ level: 'silent', destination: new Writable({ write(_c, _e, cb) { cb(); } }) as unknown as pino.DestinationStream });
const base = (s: Served): string => `http://127.0.0.1:${String(s.server.port)}`;

describe('web routes', () => {
  let s: Served;
  before(async () => { s = await serve({ port: 0, data: dirs.make(), logger: quiet() }); });
  after(async () => { await s.dispatcher.stop(); s.store?.close(); dirs.cleanup(); });

  it('GET / is the panel; its assets are served with an ETag; anything else is a 404', async () => {
    const r = await fetch(`${base(s)}/`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await r.text(), /assets\/app\.js/);
    const js = await fetch(`${base(s)}/assets/app.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
    const etag = js.headers.get('etag') ?? '';
    assert.equal((await fetch(`${base(s)}/assets/app.js`, { headers: { 'if-none-match': etag } })).status, 304);
    assert.equal((await fetch(`${base(s)}/assets/app.css`)).status, 200);
    for (const path of ['/package.json', '/assets/../../package.json', '/assets/nope.js', '/src/web/main.tsx']) {
      const x = await fetch(`${base(s)}${path}`);
      assert.equal(x.status, 404, path);
      assert.match(((await x.json()) as { error: string }).error, /no such path/);
    }
    assert.equal((await fetch(`${base(s)}/`, { method: 'POST' })).status, 404);
  });

  it('protocol v1 still answers websockets on / beside the panel', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${String(s.server.port)}/`);
    await new Promise((r) => ws.once('open', r));
    const reply = new Promise<string>((r) => ws.once('message', (d) => r(String(d))));
    ws.send('{"type": "state"}');
    assert.match(await reply, /"state": "idle"/);
    ws.close();
  });

  it('GET /api/runs/UID/export.jsonl: the run as suitcase-jsonl; unknown runs are a 404 naming the uid', async () => {
    const started = await s.dispatcher.startScan('count', { detectors: ['det'], num: 3 });
    assert.ok(started.ok);
    await s.dispatcher.whenIdle();
    await s.store?.commit();
    const uid = (await s.store?.listRuns({ limit: 1 }))?.[0]?.uid ?? '';
    const r = await fetch(`${base(s)}/api/runs/${uid}/export.jsonl`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-disposition') ?? '', /attachment; filename="run-\d+-[0-9a-f]{8}\.jsonl"/);
    const lines = (await r.text()).trim().split('\n').map((l) => JSON.parse(l) as [string, Record<string, unknown>]);
    assert.deepEqual(lines.map(([n]) => n), ['start', 'descriptor', 'event', 'event', 'event', 'stop']);
    assert.equal(lines[0]?.[1].uid, uid);
    const missing = await fetch(`${base(s)}/api/runs/no-such-run/export.jsonl`);
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { error: 'no run with uid "no-such-run"', code: 'unknown_run' });
  });
});

describe('web routes without a store or a built panel', () => {
  it('export says there is no store; / says how to build the panel', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-web-'));
    const d = createDispatcher({ server: { port: 0, logger: quiet(), webRoot: `${empty}/` } });
    await d.start();
    try {
      const url = `http://127.0.0.1:${String(serverOf(d)?.port)}`;
      const r = await fetch(`${url}/`);
      assert.equal(r.status, 503);
      assert.match(await r.text(), /npm run build:web/);
      const x = await fetch(`${url}/api/runs/abc/export.jsonl`);
      assert.equal(x.status, 404);
      assert.equal(((await x.json()) as { code: string }).code, 'no_store');
    } finally {
      await d.stop();
    }
  });
});
