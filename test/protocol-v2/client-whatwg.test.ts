/** The client with a WHATWG (browser-style) WebSocket: Node's global one, in a child process. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TestChild } from '../helpers/child.js';
import { startV2Server } from './helpers.js';

test('the client works over the global WHATWG WebSocket (the browser code path)', async () => {
  const s = await startV2Server();
  try {
    const script = fileURLToPath(new URL('./fixtures/whatwg-client.ts', import.meta.url));
    const child = new TestChild(process.execPath, ['--experimental-websocket', '--no-warnings', '--import', 'tsx', script], {
      env: { ...process.env, V2_URL: s.url }, deadlineMs: 60_000,
    });
    assert.equal(await child.code(), 0, child.err);
    const seen = JSON.parse(child.out) as { since: number; seqs: number[]; topics: string[] };
    assert.deepEqual(seen.seqs, seen.seqs.map((_, i) => seen.since + 1 + i), 'gap-free and in order');
    assert.ok(seen.topics.includes('state') && seen.topics.includes('document'));
  } finally {
    await s.close();
  }
});
