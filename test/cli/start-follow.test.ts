/**
 * `start --wait`'s follower (followItem) when the server's `status` answers
 * fail: the follower asks again instead of waiting for an event that already
 * came (a count's last event is its idle transition; a lost answer to the
 * status asked then used to leave `start --wait` waiting forever).
 * @module
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { connect } from '../../src/cli/connect.js';
import { followItem } from '../../src/cli/start.js';
import { type V2TestServer, startV2Server } from '../protocol-v2/helpers.js';

let s: V2TestServer;
before(async () => { s = await startV2Server(); });
after(async () => { await s.close(); });

const quiet = (): NodeJS.WriteStream => new Writable({ write(_c, _e, cb) { cb(); } }) as unknown as NodeJS.WriteStream;

test('a failed status is asked again; the item still ends the wait', { timeout: 60_000 }, async () => {
  const client = await connect(s.url);
  try {
    const real = client.status.bind(client);
    let failures = 0;
    // Every status asked before the run is over fails, as a dropped answer would.
    client.status = async () => {
      if (s.dispatcher.busy || failures < 3) { failures++; throw new Error('status lost (test)'); }
      return real();
    };
    const code = await followItem(client, 'count', { detectors: ['det'], num: 3 }, {}, quiet());
    assert.equal(code, 0);
    assert.ok(failures >= 3, `status failed ${String(failures)} times and was asked again`);
  } finally { client.close(); }
});

test('a scan function of two runs, idle between them, the second failing: the wait sees both and exits 1', { timeout: 60_000 }, async () => {
  const client = await connect(s.url);
  let text = '';
  const out = new Writable({ write(c, _e, cb) { text += String(c); cb(); } }) as unknown as NodeJS.WriteStream;
  try {
    const code = await followItem(client, 'two_runs', {}, {}, out);
    assert.equal(code, 1, text);
    assert.match(text, /run finished: success[\s\S]*run finished: fail/);
    assert.match(text, /item failed: a run ended fail/);
  } finally { client.close(); }
});
