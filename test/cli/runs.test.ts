/**
 * `runs list|show|export` read the way they print: the short uid `runs list`
 * shows is enough for `show` and `export` (a unique start of the uid), an
 * ambiguous one says so, and `list` shows why a run stopped. Real child
 * processes on a real data directory (issue 15).
 * @module
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../helpers/child.js';

const dir = mkdtempSync(join(tmpdir(), 'bsd-runs-'));
const data = join(dir, 'data');
after(() => { rmSync(dir, { recursive: true, force: true }); });

const A = 'abcd0001-0000-4000-8000-000000000001';
const B = 'abcd0002-0000-4000-8000-000000000002';

/** The lines of one exported run, with its run uid replaced and its stop made an abort with `reason`. */
function variant(lines: string[], uid: string, from: string, reason: string): string {
  return lines.map((line) => {
    const [name, doc] = JSON.parse(line.replaceAll(from, uid)) as [string, Record<string, unknown>];
    if (name === 'stop') Object.assign(doc, { exit_status: 'abort', reason });
    return JSON.stringify([name, doc]);
  }).join('\n');
}

describe('runs: short uids and reasons', { timeout: 120_000 }, () => {
  before(async () => {
    const r = await runCli(['run', 'count', '--params', '{"detectors":["det"],"num":2}', '--data', data]);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse((await runCli(['runs', 'list', '--data', data, '--json'])).stdout) as Array<{ uid: string }>;
    const uid = list[0]?.uid ?? '';
    const exported = (await runCli(['runs', 'export', uid, '--data', data])).stdout.trim().split('\n');
    // Two more runs whose uids share their first four characters, aborted with reasons.
    writeFileSync(join(dir, 'a.jsonl'), variant(exported, A, uid, 'beam lost'));
    writeFileSync(join(dir, 'b.jsonl'), variant(exported, B, uid, 'shutter stuck'));
    for (const f of ['a.jsonl', 'b.jsonl']) assert.equal((await runCli(['runs', 'import', join(dir, f), '--data', data])).code, 0);
  });

  test('runs list: 8-character uids and the stop reason', async () => {
    const r = await runCli(['runs', 'list', '--data', data]);
    assert.equal(r.code, 0, r.stderr);
    const [head, ...rows] = r.stdout.trim().split('\n');
    assert.match(head ?? '', /^uid\s+scan_id\s+plan\s+start\s+exit\s+events\s+reason$/);
    assert.ok(rows.every((row) => /^[0-9a-f]{8}\s/.test(row)), r.stdout);
    assert.match(r.stdout, /^abcd0001 .* abort .* beam lost$/m);
    assert.match(r.stdout, /^abcd0002 .* abort .* shutter stuck$/m);
  });

  test('runs show and runs export take the short uid (a unique start of it)', async () => {
    const show = await runCli(['runs', 'show', 'abcd0001', '--data', data]);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, new RegExp(`^uid\\s+${A}$`, 'm'));
    assert.match(show.stdout, /^reason\s+beam lost$/m);
    const exp = await runCli(['runs', 'export', 'abcd0002', '--data', data]);
    assert.equal(exp.code, 0, exp.stderr);
    const docs = exp.stdout.trim().split('\n').map((l) => JSON.parse(l) as [string, { uid?: string; run_start?: string }]);
    assert.deepEqual(docs.map(([n]) => n), ['start', 'descriptor', 'event', 'event', 'stop']);
    assert.equal(docs[0]?.[1].uid, B);
    assert.equal(docs.at(-1)?.[1].run_start, B);
  });

  test('an ambiguous or unknown prefix: one line naming the candidates, exit 2', async () => {
    const amb = await runCli(['runs', 'show', 'abcd', '--data', data]);
    assert.equal(amb.code, 2);
    assert.equal(amb.stderr.trim().split('\n').length, 1);
    assert.match(amb.stderr, new RegExp(`'abcd' is the start of more than one run's uid \\((${A}|${B}), (${A}|${B})\\); give more of it`));
    const none = await runCli(['runs', 'export', 'ffffffff', '--data', data]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no run with uid 'ffffffff' \(or starting with it\)/);
  });
});
