/** The `run` command as a user meets it: a real child process, exit codes, files. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { documentErrors } from '../../src/model/validate.js';
import type { DocumentName } from '../../src/model/documents.js';
import { normaliseIds, readJsonl } from '../helpers/reference.js';

const BIN = fileURLToPath(new URL('../../bin/bluesky-dispatcher.js', import.meta.url));
const temp: string[] = [];
after(() => { for (const d of temp) rmSync(d, { recursive: true, force: true }); });

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('run count prints a live table and exits 0', () => {
  const r = cli('run', 'count', '--params', '{"detectors":["det1","det2"],"num":3}');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /seq_num .* det1 .* det2/);
  assert.equal(r.stdout.split('\n').filter((l) => /^\|\s+\d+ \|/.test(l)).length, 3);
});

test('run grid_scan --jsonl --msgs writes valid documents and the recorded message sequence', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bsd-cli-'));
  temp.push(dir);
  const r = cli('run', 'grid_scan', '--params', '{"detectors":["det4"],"args":["motor1",-1,1,3,"motor2",-2,2,4],"snake_axes":true}',
    '--jsonl', join(dir, 'docs.jsonl'), '--msgs', join(dir, 'msgs.jsonl'));
  assert.equal(r.status, 0, r.stderr);
  const docs = readFileSync(join(dir, 'docs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as [DocumentName, object]);
  assert.deepEqual(docs.map(([n]) => n), ['start', 'descriptor', ...Array(12).fill('event'), 'stop']);
  for (const [name, doc] of docs) assert.deepEqual(documentErrors(name, doc), []);
  const msgs = readFileSync(join(dir, 'msgs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown);
  assert.deepEqual(normaliseIds(msgs), normaliseIds(readJsonl('python-reference/docs/grid_scan.msgs.jsonl')));
});

test('unknown plan, unknown device, bad JSON: one line naming the problem, exit 2', () => {
  const plan = cli('run', 'cont');
  assert.equal(plan.status, 2);
  assert.match(plan.stderr, /unknown plan 'cont'.*did you mean "count"/);
  const device = cli('run', 'scan', '--params', '{"detectors":["det"],"args":["motr",-1,1],"num":5}');
  assert.equal(device.status, 2);
  assert.match(device.stderr, /unknown device "motr".*did you mean "motor"/);
  const json = cli('run', 'count', '--params', '{bad');
  assert.equal(json.status, 2);
  assert.match(json.stderr, /--params is not valid JSON/);
  const param = cli('run', 'count', '--params', '{"detectors":["det"],"nmu":3}');
  assert.equal(param.status, 2);
  assert.match(param.stderr, /nmu/);
  for (const r of [plan, device, json, param]) assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('run --data records the run; scan_id persists across processes; runs list/export read it back', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bsd-data-'));
  temp.push(dir);
  const data = join(dir, 'data');
  assert.equal(cli('run', 'count', '--params', '{"detectors":["det1"],"num":2}', '--data', data).status, 0);
  assert.equal(cli('run', 'scan', '--params', '{"detectors":["det"],"args":["motor",-1,1],"num":3}', '--data', data).status, 0);
  const list = cli('runs', 'list', '--data', data, '--json');
  assert.equal(list.status, 0, list.stderr);
  const runs = JSON.parse(list.stdout) as Array<{ uid: string; scan_id: number; plan_name: string }>;
  assert.deepEqual(runs.map((r) => [r.plan_name, r.scan_id]), [['scan', 2], ['count', 1]]);
  const exported = cli('runs', 'export', (runs[0] as { uid: string }).uid, '--data', data);
  const lines = exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as [DocumentName, object]);
  assert.deepEqual(lines.map(([n]) => n), ['start', 'descriptor', 'event', 'event', 'event', 'stop']);
  for (const [name, doc] of lines) assert.deepEqual(documentErrors(name, doc), []);
});
