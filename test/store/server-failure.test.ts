/**
 * A store that fails mid-run never leaves a plan running unrecorded: the server
 * logs the failure, aborts the plan with a reason naming it, and keeps serving.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import type { pino } from 'pino';
import { serve } from '../../src/cli/serve.js';
import { createLogger } from '../../src/server/index.js';
import { V2Conn } from '../protocol-v2/helpers.js';
import { TempDirs } from './tmp.js';

const dirs = new TempDirs();
after(() => { dirs.cleanup(); });

test('a commit failure mid-run aborts the plan with a reason; the server keeps serving', { timeout: 60_000 }, async () => {
  const dir = dirs.make();
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _e, cb) { lines.push(String(chunk)); cb(); } }) as unknown as pino.DestinationStream;
  const s = await serve({ port: 0, data: dir, logger: createLogger({ level: 'info', destination: sink }) });
  const c = await V2Conn.connect(`${s.server.url}v2`);
  try {
    await c.ok('subscribe', {});
    await c.ok('start', { plan: 'count', params: { detectors: ['det'], num: 100000, delay: 0.001 } });
    await c.waitEvent((e) => e.topic === 'document' && (e.data as { name: string }).name === 'event');
    // Break the database underneath the server, as a failing disk would.
    const other = new Database(join(dir, 'bluesky.sqlite'));
    other.exec('DROP TABLE documents');
    other.close();
    // Nothing more can be published over v2 (nothing is published unless stored), so
    // watch the dispatcher itself: the plan is aborted and the engine returns to idle.
    await s.dispatcher.whenIdle();
    assert.ok(lines.some((l) => l.includes('run storage failed')), 'the failure is logged');
    assert.equal(s.dispatcher.state, 'idle');
    const status = await c.ok<{ state: string }>('status');
    assert.equal(status.state, 'idle', 'the server still answers requests');
  } finally {
    await c.close();
    await s.dispatcher.stop('test');
    await s.store?.close().catch(() => undefined);
  }
});
