/**
 * `runs list|show|export|import` through commander, on a real data directory;
 * errors are one line with exit code 2.
 * @module
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { Command } from 'commander';
import { addRunsCommand } from '../../src/cli/runs.js';
import { SqliteStore } from '../../src/store/index.js';
import { handRun } from './contract.js';
import { TempDirs } from './tmp.js';

const dirs = new TempDirs();
after(() => { dirs.cleanup(); });
afterEach(() => { process.exitCode = 0; });

async function cli(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  process.exitCode = 0;
  const program = new Command('bluesky-dispatcher').exitOverride();
  addRunsCommand(program, { out: (t) => { out += t; }, err: (t) => { err += t; } });
  await program.parseAsync(['runs', ...args], { from: 'user' });
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { out, err, code };
}

async function seeded(): Promise<string> {
  const dir = dirs.make();
  const s = SqliteStore.open(dir);
  for (const [n, d] of handRun('aaa', 2, { time: 1_700_000_000, scanId: 1 })) s.appendDocument(n, d);
  for (const [n, d] of handRun('bbb', 3, { time: 1_800_000_000, scanId: 2, plan: 'scan' })) s.appendDocument(n, d);
  await s.close();
  return dir;
}

describe('runs CLI', () => {
  it('lists runs as a table and as JSON, with filters', async () => {
    const dir = await seeded();
    const table = await cli('list', '--data', dir);
    assert.equal(table.code, 0);
    assert.match(table.out, /^uid\s+scan_id\s+plan\s+start\s+exit\s+events\s+reason\nbbb\s+2\s+scan\s+2027-01-15T08:00:00Z\s+success\s+primary:3\naaa/);
    const json = JSON.parse((await cli('list', '--data', dir, '--json', '--plan', 'count')).out) as Array<{ uid: string }>;
    assert.deepEqual(json.map((r) => r.uid), ['aaa']);
    assert.deepEqual((JSON.parse((await cli('list', '--data', dir, '--json', '--since', '2027-01-01')).out) as Array<{ uid: string }>).map((r) => r.uid), ['bbb']);
    assert.equal((JSON.parse((await cli('list', '--data', dir, '--json', '--limit', '1')).out) as unknown[]).length, 1);
  });

  it('shows one run', async () => {
    const r = await cli('show', 'bbb', '--data', await seeded());
    assert.equal(r.code, 0);
    assert.match(r.out, /exit_status +success\n/);
    assert.match(r.out, /documents +start:1,descriptor:1,event:3,stop:1/);
  });

  it('exports to a file and imports it into another data directory', async () => {
    const file = join(dirs.make(), 'bbb.jsonl');
    assert.equal((await cli('export', 'bbb', '--data', await seeded(), '--out', file)).code, 0);
    const other = dirs.make();
    const imp = await cli('import', file, '--data', other);
    assert.equal(imp.code, 0, imp.err);
    assert.equal(imp.out, 'imported 1 run(s), 6 documents: bbb\n');
    assert.equal((await cli('export', 'bbb', '--data', other)).out, readFileSync(file, 'utf8'));
    const again = await cli('import', file, '--data', other);
    assert.equal(again.code, 2);
    assert.match(again.err, /^error: import refused: line 1: run bbb is already stored\n$/);
  });

  it('reports bad input as one line with exit code 2', async () => {
    const dir = await seeded();
    for (const [args, pattern] of [
      [['show', 'zzz', '--data', dir], /^error: no run with uid 'zzz' \(or starting with it\) in .*bluesky\.sqlite\n$/],
      [['list', '--data', dir, '--since', 'yesterday'], /^error: --since expects an ISO date/],
      [['list', '--data', dir, '--limit', '0'], /^error: --limit expects a positive integer/],
      [['list', '--data', join(dir, 'absent')], /^error: no store at /],
      [['import', join(dir, 'absent.jsonl'), '--data', dir], /^error: cannot read /],
    ] as const) {
      const r = await cli(...args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.err, pattern);
      assert.equal(r.err.split('\n').length, 2, 'one line');
    }
    const bad = join(dirs.make(), 'bad.jsonl');
    writeFileSync(bad, '["start", {"uid": 5}]\n');
    assert.match((await cli('import', bad, '--data', dir)).err, /^error: import refused, 2 problem\(s\): line 1 start\/: must have required property .time.; line 1 start\/uid: must be string\n$/);
  });
});
