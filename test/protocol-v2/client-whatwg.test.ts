/** The client with a WHATWG (browser-style) WebSocket: Node's global one, in a child process. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startV2Server } from './helpers.js';

test('the client works over the global WHATWG WebSocket (the browser code path)', async () => {
  const s = await startV2Server();
  try {
    const script = fileURLToPath(new URL('./fixtures/whatwg-client.ts', import.meta.url));
    const child = spawn(process.execPath, ['--experimental-websocket', '--no-warnings', '--import', 'tsx', script], {
      env: { ...process.env, V2_URL: s.url }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += String(d); });
    child.stderr.on('data', (d: Buffer) => { err += String(d); });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0, err);
    const seen = JSON.parse(out) as { since: number; seqs: number[]; topics: string[] };
    assert.deepEqual(seen.seqs, seen.seqs.map((_, i) => seen.since + 1 + i), 'gap-free and in order');
    assert.ok(seen.topics.includes('state') && seen.topics.includes('document'));
  } finally {
    await s.close();
  }
});
