/** RefusalLog: a burst per address (and for all of them), then one an interval; the left-out ones said with the next entry. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryAuditLog } from './audit-log.js';
import { MAX_SOURCES, REFUSAL_BURST, REFUSAL_EVERY_MS, RefusalLog, type Refused, TOTAL_BURST, TOTAL_EVERY_MS } from './refusals.js';

const attempt = (address: string): Refused => ({
  address, who: `unauthenticated from ${address}`, protocol: 'http', op: 'start', params: { plan: 'count', key: 'bsk_secret' }, outcome: 'unauthorized', message: 'no API key given',
});

test('a flood from one address: the burst is recorded, then one per interval, saying how many were left out; other addresses keep their own', async () => {
  let now = 0;
  const audit = new MemoryAuditLog();
  const log = new RefusalLog(audit, { now: () => now });
  for (let i = 0; i < 100; i++) log.record(attempt('10.0.0.9'));
  assert.equal((await audit.list({ limit: 1000 })).length, REFUSAL_BURST);
  log.record(attempt('10.0.0.7')); // another address is not held back by the first's flood
  assert.equal((await audit.list({ limit: 1000, who: 'unauthenticated from 10.0.0.7' })).length, 1);
  now += REFUSAL_EVERY_MS;
  log.record(attempt('10.0.0.9'));
  log.record(attempt('10.0.0.9'));
  const mine = await audit.list({ limit: 1000, who: 'unauthenticated from 10.0.0.9' });
  assert.equal(mine.length, REFUSAL_BURST + 1);
  assert.equal(mine[0]?.message, `no API key given (and ${String(100 - REFUSAL_BURST)} more refused from 10.0.0.9 before this, not recorded)`);
  assert.equal(mine[0]?.params, '{"plan":"count","key":"[redacted]"}', 'params summarised as invoke does: secrets redacted');
  assert.equal(mine[0]?.outcome, 'unauthorized');
});

test('the addresses remembered are bounded: the oldest is forgotten', async () => {
  let now = 0;
  const audit = new MemoryAuditLog(100_000);
  const log = new RefusalLog(audit, { now: () => now });
  for (let i = 0; i <= REFUSAL_BURST; i++) log.record(attempt('first')); // the last one over its allowance: counted
  // As many other addresses, slowly enough for the bound on all of them together.
  for (let i = 0; i < MAX_SOURCES; i++) { now += TOTAL_EVERY_MS; log.record(attempt(`addr-${String(i)}`)); }
  log.record(attempt('first'));
  const [last] = await audit.list({ limit: 1, who: 'unauthenticated from first' });
  assert.equal(last?.message, 'no API key given', 'forgotten: a fresh allowance, nothing counted from before');
  assert.equal((await audit.list({ limit: 100, who: 'unauthenticated from first' })).length, REFUSAL_BURST + 1);
});

test('a flood from many addresses is bounded as a whole', async () => {
  let now = 0;
  const audit = new MemoryAuditLog(100_000);
  const log = new RefusalLog(audit, { now: () => now });
  for (let i = 0; i < 1000; i++) log.record(attempt(`2001:db8::${i.toString(16)}`));
  assert.equal((await audit.list({ limit: 10_000 })).length, TOTAL_BURST);
  now += TOTAL_EVERY_MS;
  log.record(attempt('2001:db8::ffff'));
  const [last] = await audit.list({ limit: 1 });
  assert.equal(last?.who, 'unauthenticated from 2001:db8::ffff');
  assert.equal(last?.message, `no API key given (and ${String(1000 - TOTAL_BURST)} more refused attempts from anywhere, not recorded: too many at once)`);
});
