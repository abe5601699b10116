/**
 * The kill test at server level: a `serve --data DIR` child runs a long plan, a v2
 * client records what it receives, SIGKILL; a restart on DIR has it all, closes the run.
 * @module
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, it } from 'node:test';
import type { pino } from 'pino';
import { serve } from '../../src/cli/serve.js';
import type { DocumentName } from '../../src/model/documents.js';
import { documentErrors } from '../../src/model/validate.js';
import type { DocumentData, Event } from '../../src/protocol/v2/types.js';
import { createLogger } from '../../src/server/index.js';
import { INTERRUPTED_REASON, SqliteStore } from '../../src/store/index.js';
import { startServe } from '../helpers/child.js';
import { V2Conn } from '../protocol-v2/helpers.js';
import { exportLines } from './contract.js';
import { TempDirs } from './tmp.js';

const dirs = new TempDirs();
after(() => { dirs.cleanup(); });
const sink = (): pino.DestinationStream => new Writable({ write(_c, _e, cb) { cb(); } }) as unknown as pino.DestinationStream;
const docs = (events: readonly Event[]): DocumentData[] => events.filter((e) => e.topic === 'document').map((e) => e.data as DocumentData);

it('a SIGKILLed server lost nothing it published; the restart closes the run and resumes the stream', { timeout: 60_000 }, async () => {
  const dir = dirs.make();
  const { child, v2 } = await startServe(['--port', '0', '--data', dir], { deadlineMs: 60_000 });
  const c = await V2Conn.connect(v2);
  await c.ok('subscribe', {});
  await c.ok('start', { plan: 'count', params: { detectors: ['det'], num: 10_000, delay: 0.002 } });
  await c.waitEvent((e) => e.topic === 'document' && (e.data as DocumentData).name === 'event' && Number((e.data as DocumentData).doc.seq_num) >= 50);
  const { signal } = await child.stop('SIGKILL');
  assert.equal(signal, 'SIGKILL');
  await c.closed;
  const received = [...c.events];
  const lastSeq = received.at(-1)?.seq ?? 0;
  const runUid = String((docs(received).find((d) => d.name === 'start')?.doc as { uid?: unknown } | undefined)?.uid);

  // Every received document is in the store (read-only: before recovery touches anything).
  const ro = SqliteStore.open(dir, { readonly: true });
  const stored = (await ro.getDocuments(runUid)).map(([name, doc]) => JSON.stringify([name, doc]));
  await ro.close();
  const storedSet = new Set(stored);
  for (const d of docs(received)) assert.ok(storedSet.has(JSON.stringify([d.name, d.doc])), `${d.name} was published but is not stored`);

  // Restart on the same directory: the run is closed as interrupted.
  const s = await serve({ port: 0, data: dir, logger: createLogger({ level: 'info', destination: sink() }) });
  try {
    const run = await s.store?.getRun(runUid);
    assert.equal(run?.interrupted, true);
    assert.equal(run?.exitStatus, 'abort');
    assert.equal(run?.reason, INTERRUPTED_REASON);
    const lines = s.store === null ? [] : await exportLines(s.store, runUid);
    assert.equal(lines.length, stored.length + 1);
    for (const line of lines) {
      const [name, doc] = JSON.parse(line) as [DocumentName, unknown];
      assert.deepEqual(documentErrors(name, doc), [], `${name} of the export is invalid`);
    }

    // Resuming with `since` gives exactly what the client missed: no gap, no repeat, the stop last.
    const r = await V2Conn.connect(`${s.server.url}v2`);
    await r.ok('subscribe', { since: lastSeq });
    const latest = s.store?.latestSeq() ?? 0;
    await r.waitSeq(latest);
    const all = [...received, ...r.events.filter((e) => e.seq <= latest)];
    assert.deepEqual(all.map((e) => e.seq), all.map((_e, i) => (received[0]?.seq ?? 1) + i));
    const runDocs = docs(all).filter((d) => d.name !== 'stop' || (d.doc as { run_start?: unknown }).run_start === runUid).map((d) => JSON.stringify([d.name, d.doc]));
    assert.deepEqual(runDocs, lines);
    await r.close();
  } finally {
    await s.dispatcher.stop('test');
    await s.store?.close();
  }
});
