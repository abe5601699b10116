/**
 * RedisBus against a real redis-server: entries after commit, in seq order, with
 * ids = seqs; a Redis that is down at the start or restarted mid-run (nothing
 * lost within the buffer, published in order when it is back); overflow counted,
 * logged, in health() and marked by a bus_gap entry; a stream already past our
 * seqs (another server, same instance) refused and reported; bad options refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { type BusLogger, type CommittedEvent, type CommittedSource, BusError, RedisBus, readDocuments } from '../../src/bus/index.js';
import { TestRedis, redisSkip } from '../helpers/redis.js';
import { until } from '../helpers/wait.js';

const skip = redisSkip();

/** A committed stream we drive by hand: seq +1 per event, like the store's. */
class FakeSource implements CommittedSource {
  seq = 0;
  #listeners: Array<(b: { events: CommittedEvent[] }) => void> = [];
  onCommit(l: (b: { events: CommittedEvent[] }) => void): () => void {
    this.#listeners.push(l);
    return () => { this.#listeners = this.#listeners.filter((x) => x !== l); };
  }
  commit(...events: Array<{ topic: string; data: unknown }>): number[] {
    const batch = events.map((e) => ({ seq: ++this.seq, topic: e.topic, time: Date.now() / 1000, data: e.data }));
    for (const l of this.#listeners) l({ events: batch });
    return batch.map((e) => e.seq);
  }
  doc(i: number): { topic: string; data: unknown } { return { topic: 'document', data: { name: 'event', doc: { seq_num: i, data: { x: i } } } }; }
}

class Lines implements BusLogger {
  lines: Array<{ level: string; msg: string; fields: object }> = [];
  info(fields: object, msg: string): void { this.lines.push({ level: 'info', msg, fields }); }
  warn(fields: object, msg: string): void { this.lines.push({ level: 'warn', msg, fields }); }
  debug(): void {}
  has(level: string, re: RegExp): boolean { return this.lines.some((l) => l.level === level && re.test(l.msg)); }
}

describe('RedisBus (real redis-server)', { skip, timeout: 120_000 }, () => {
  let redis: TestRedis;
  let client: Redis;
  let n = 0;
  const instance = (): string => `t${String(++n)}`;

  before(async () => {
    redis = await TestRedis.start();
    client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: null });
    client.on('error', () => { /* this test kills Redis on purpose */ });
    await client.connect();
  });
  after(async () => {
    client?.disconnect();
    await redis?.stop();
  });

  test('documents and state/progress events, after commit, ids = seq, fields name/doc and topic/data/time', async () => {
    const src = new FakeSource();
    const name = instance();
    const bus = await RedisBus.create({ url: redis.url, instance: name });
    bus.attach(src);
    try {
      src.commit({ topic: 'state', data: { new: 'running', old: 'idle' } }, { topic: 'document', data: { name: 'start', doc: { uid: 'u1', time: 1 } } });
      src.commit(src.doc(1), { topic: 'progress', data: { done: 1 } }, { topic: 'log', data: { msg: 'not published' } });
      src.commit({ topic: 'document', data: { name: 'stop', doc: { run_start: 'u1', exit_status: 'success' } } });
      await until('published', () => bus.health().pending === 0 && bus.health().published === 5);
      const docs = await client.xrange(`bluesky:${name}:documents`, '-', '+');
      assert.deepEqual(docs.map(([id]) => id), ['2-0', '3-0', '6-0']);
      assert.deepEqual(docs[0]?.[1], ['name', 'start', 'doc', '{"uid":"u1","time":1}']);
      const events = await client.xrange(`bluesky:${name}:events`, '-', '+');
      assert.deepEqual(events.map(([id, f]) => [id, f[1]]), [['1-0', 'state'], ['4-0', 'progress']]);
      assert.equal(events[0]?.[1][2], 'data');
      assert.deepEqual(JSON.parse(events[0]?.[1][3] ?? ''), { new: 'running', old: 'idle' });
      const h = bus.health();
      assert.equal(h.connected, true);
      assert.equal(h.last_published_seq, 6);
      assert.equal(h.lost, 0);
      // A consumer resumes after any entry id.
      const seen: string[] = [];
      for await (const d of readDocuments({ url: redis.url, instance: name, since: '2-0', follow: false })) seen.push(`${d.id} ${d.name}`);
      assert.deepEqual(seen, ['3-0 event', '6-0 stop']);
    } finally { await bus.close(); }
  });

  test('--bus-maxlen bounds each stream (approximately, as XADD MAXLEN ~ does)', async () => {
    const src = new FakeSource();
    const name = instance();
    const bus = await RedisBus.create({ url: redis.url, instance: name, maxlen: 100 });
    bus.attach(src);
    try {
      for (let i = 0; i < 20; i++) src.commit(...Array.from({ length: 100 }, (_, k) => src.doc(i * 100 + k)));
      await until('published', () => bus.health().published === 2000);
      const len = await client.xlen(`bluesky:${name}:documents`);
      assert.ok(len >= 100 && len < 1000, `length ${String(len)}`);
    } finally { await bus.close(); }
  });

  test('Redis restarted mid-run: what was committed meanwhile is published in order when it is back; a following consumer misses nothing', async () => {
    const src = new FakeSource();
    const name = instance();
    const log = new Lines();
    const bus = await RedisBus.create({ url: redis.url, instance: name, logger: log });
    bus.attach(src);
    const got: number[] = [];
    const ac = new AbortController();
    const reader = (async () => {
      for await (const d of readDocuments({ url: redis.url, instance: name, signal: ac.signal })) got.push((d.doc as { seq_num: number }).seq_num);
    })();
    try {
      for (let i = 1; i <= 300; i++) src.commit(src.doc(i));
      await until('first part read', () => got.length === 300);
      await redis.kill();
      await until('bus sees the outage', () => !bus.connected);
      for (let i = 301; i <= 2000; i++) src.commit(src.doc(i));
      const h = bus.health();
      assert.equal(h.pending, 1700);
      assert.equal(h.connected, false);
      assert.ok(h.behind_s >= 0);
      assert.ok(log.has('warn', /Redis unreachable/), JSON.stringify(log.lines));
      await redis.restart();
      await until('all read after the restart', () => got.length === 2000, 30_000);
      assert.deepEqual(got, Array.from({ length: 2000 }, (_, i) => i + 1));
      assert.equal(bus.health().pending, 0);
      assert.equal(bus.health().lost, 0);
      assert.ok(log.has('info', /reachable again/));
      // The restarted Redis has exactly what was committed while it was away (it came back empty).
      assert.equal(await client.xlen(`bluesky:${name}:documents`), 1700);
    } finally {
      ac.abort();
      await reader.catch(() => undefined);
      await bus.close();
    }
  });

  test('Redis down at the start: the server does not wait for it; entries go out when it comes up', async () => {
    await redis.kill();
    const src = new FakeSource();
    const name = instance();
    const bus = await RedisBus.create({ url: redis.url, instance: name });
    bus.attach(src);
    try {
      for (let i = 1; i <= 50; i++) src.commit(src.doc(i));
      assert.equal(bus.health().pending, 50);
      assert.match(bus.health().last_error ?? 'no error yet', /ECONNREFUSED|no error yet|Connection is closed/);
      await redis.restart();
      await until('published', () => bus.health().published === 50);
      const ids = (await client.xrange(`bluesky:${name}:documents`, '-', '+')).map(([id]) => id);
      assert.deepEqual(ids, Array.from({ length: 50 }, (_, i) => `${String(i + 1)}-0`));
    } finally { await bus.close(); }
  });

  test('overflow while Redis is away: the oldest are dropped, counted, logged, in health(), and a bus_gap entry marks the hole', async () => {
    const src = new FakeSource();
    const name = instance();
    const log = new Lines();
    const bus = await RedisBus.create({ url: redis.url, instance: name, bufferEntries: 100, logger: log });
    bus.attach(src);
    try {
      src.commit(src.doc(0));
      await until('first published', () => bus.health().published === 1);
      await redis.kill();
      await until('outage seen', () => !bus.connected);
      for (let i = 1; i <= 500; i++) src.commit(src.doc(i));
      const h = bus.health();
      assert.equal(h.pending, 100);
      assert.equal(h.lost, 400);
      assert.deepEqual(h.lost_ranges, [{ first_seq: 2, last_seq: 401, count: 400 }]);
      assert.ok(log.has('warn', /buffer full/), JSON.stringify(log.lines));
      await redis.restart();
      await until('caught up', () => bus.health().pending === 0);
      await until('caught-up warning', () => log.has('warn', /caught up after an overflow/));
      const docs = await client.xrange(`bluesky:${name}:documents`, '-', '+');
      assert.deepEqual(docs.map(([id]) => id), Array.from({ length: 100 }, (_, i) => `${String(i + 402)}-0`));
      const gaps = await client.xrange(`bluesky:${name}:events`, '-', '+');
      assert.equal(gaps.length, 1);
      assert.equal(gaps[0]?.[0], '401-1');
      assert.equal(gaps[0]?.[1][1], 'bus_gap');
      assert.deepEqual(JSON.parse(gaps[0]?.[1][3] ?? ''), { first_seq: 2, last_seq: 401, count: 400, reason: 'bus buffer full while Redis was unreachable' });
      assert.equal(bus.health().lost, 400, 'the lost count stays after catching up');
    } finally { await bus.close(); }
  });

  test('a stream already past our seqs (another server with the same instance): refused entries are counted and reported, the run goes on', async () => {
    const src = new FakeSource();
    const name = instance();
    await client.xadd(`bluesky:${name}:documents`, '1000-0', 'name', 'event', 'doc', '{}');
    const log = new Lines();
    const bus = await RedisBus.create({ url: redis.url, instance: name, logger: log });
    bus.attach(src);
    try {
      for (let i = 1; i <= 5; i++) src.commit(src.doc(i));
      await until('settled', () => bus.health().pending === 0);
      const h = bus.health();
      assert.equal(h.rejected, 5);
      assert.equal(h.published, 0);
      assert.match(h.last_error ?? '', /equal or smaller/);
      assert.ok(log.has('warn', /another server with the same --instance/));
    } finally { await bus.close(); }
  });

  test('close() waits for waiting entries, and says what it could not publish', async () => {
    const src = new FakeSource();
    const log = new Lines();
    await redis.kill();
    const bus = await RedisBus.create({ url: redis.url, instance: instance(), logger: log });
    bus.attach(src);
    for (let i = 1; i <= 10; i++) src.commit(src.doc(i));
    await bus.close(200);
    assert.ok(log.has('warn', /not published/));
    const line = log.lines.find((l) => /not published/.test(l.msg));
    assert.equal((line?.fields as { not_published?: number }).not_published, 10);
    await redis.restart();
  });

  test('hostile options are refused with coded errors naming what was expected', async () => {
    const bad = async (opts: Partial<Parameters<typeof RedisBus.create>[0]>, code: string, re: RegExp): Promise<void> => {
      await assert.rejects(RedisBus.create({ url: redis.url, instance: 'x', ...opts }), (e: unknown) => e instanceof BusError && e.code === code && re.test(e.message));
    };
    await bad({ url: 'http://127.0.0.1:1' }, 'BUS_BAD_URL', /redis:\/\//);
    await bad({ url: 'not a url' }, 'BUS_BAD_URL', /redis:\/\/HOST:PORT/);
    await bad({ url: 'redis://:secret@127.0.0.1:1/x' }, 'BUS_BAD_URL', /database number/);
    await assert.rejects(RedisBus.create({ url: 'redis://:secret@127.0.0.1:1/x', instance: 'x' }), (e: unknown) => e instanceof Error && !e.message.includes('secret'));
    await bad({ instance: 'a:b' }, 'BUS_BAD_INSTANCE', /letters, digits/);
    await bad({ instance: '' }, 'BUS_BAD_INSTANCE', /1-64/);
    await bad({ maxlen: 0 }, 'BUS_BAD_OPTION', /--bus-maxlen must be a whole number >= 1/);
    await assert.rejects(async () => { for await (const _ of readDocuments({ url: redis.url, instance: 'x', since: 'yesterday' })) break; },
      (e: unknown) => e instanceof BusError && e.code === 'BUS_BAD_ID');
  });

  test('a consumer skips (and reports) entries that are not documents', async () => {
    const name = instance();
    const key = `bluesky:${name}:documents`;
    await client.xadd(key, '1-0', 'name', 'start', 'doc', '{"uid":"a"}');
    await client.xadd(key, '2-0', 'name', 'start', 'doc', '{not json');
    await client.xadd(key, '3-0', 'name', 'Robert"); DROP', 'doc', '{}');
    await client.xadd(key, '4-0', 'doc', '{}');
    await client.xadd(key, '5-0', 'name', 'stop', 'doc', '[1]');
    await client.xadd(key, '6-0', 'name', 'stop', 'doc', '{"run_start":"a"}');
    const bad: string[] = [];
    const ok: string[] = [];
    for await (const d of readDocuments({ url: redis.url, instance: name, follow: false, onBadEntry: (id, why) => bad.push(`${id}: ${why}`) })) ok.push(d.id);
    assert.deepEqual(ok, ['1-0', '6-0']);
    assert.equal(bad.length, 4);
    assert.match(bad[0] ?? '', /^2-0: field 'doc' is not JSON/);
    assert.match(bad[1] ?? '', /^3-0: field 'name' must be a document name/);
  });

  test('a consumer of an unreachable Redis fails fast with one line', async () => {
    const port = (await import('../helpers/redis.js')).freePort;
    const url = `redis://127.0.0.1:${String(await port())}`;
    await assert.rejects(async () => { for await (const _ of readDocuments({ url, instance: 'x' })) break; },
      (e: unknown) => e instanceof BusError && e.code === 'BUS_UNREACHABLE' && /cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+/.test(e.message));
  });
});
