/** What the panel plots, from the documents the real Python bluesky emitted (the recordings). @module */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readJsonl } from '../helpers/reference.js';
import { LiveRun, cellOf } from '../../src/web/live-run.js';

type Doc = Record<string, unknown>;

function feed(docs: Array<[string, Doc]>): LiveRun {
  const [first, ...rest] = docs;
  assert.equal(first?.[0], 'start');
  const run = new LiveRun(first[1]);
  for (const [name, doc] of rest) run.add(name, doc);
  return run;
}

describe('LiveRun', () => {
  it('scan: detector fields against the motor; the table has every data key; the stop is kept', () => {
    const run = feed(readJsonl<[string, Doc]>('python-reference/docs/scan.jsonl'));
    assert.equal(run.planName, 'scan');
    assert.equal(run.xField, 'motor');
    assert.deepEqual(run.yFields, ['det']);
    assert.equal(run.events, 5);
    assert.deepEqual(run.x, [-1, -0.5, 0, 0.5, 1]);
    assert.equal(run.ys[0]?.length, 5);
    assert.ok(run.columns.includes('motor_setpoint'));
    assert.equal(run.exitStatus, 'success');
    assert.deepEqual(run.latestRows(2).map((r) => r.seq_num), [5, 4]);
  });

  it('count: against time since the start document', () => {
    const run = feed(readJsonl<[string, Doc]>('python-reference/docs/count.jsonl'));
    assert.equal(run.xField, 'time');
    assert.equal(run.events, 3);
    assert.ok(run.x.every((t, i) => t !== null && t >= 0 && (i === 0 || t >= (run.x[i - 1] ?? 0))), 'elapsed times, increasing');
  });

  it('grid_scan: a 3 × 4 snaked grid; every point lands in its own cell', () => {
    const run = feed(readJsonl<[string, Doc]>('python-reference/docs/grid_scan.jsonl'));
    const g = run.grid;
    assert.ok(g !== null);
    assert.deepEqual([g.rows, g.cols, g.yField, g.xField, g.snake], [3, 4, 'motor1', 'motor2', true]);
    assert.deepEqual(g.xRange, [-2, 2]);
    assert.deepEqual(run.yFields, ['det4']);
    const cells = run.x.map((_, i) => cellOf(g, i));
    assert.deepEqual([...cells].sort((a, b) => a - b), [...Array(12).keys()], 'a permutation of the 12 cells');
    // Snaking: row 1 runs backwards, so its first point is in the last column, where motor2 is largest.
    assert.equal(cells[4], 7);
    assert.equal(run.x[4], 2);
    // Every cell's column matches the motor2 position of its point.
    run.x.forEach((m2, i) => assert.equal(m2, -2 + ((cells[i] ?? 0) % 4) * (4 / 3), `point ${String(i)}`));
  });

  it('pause and resume: the event re-read after the rewind replaces the one with its seq_num', () => {
    const lines = readJsonl<{ kind: string; name?: string; doc?: Doc }>('python-reference/docs/control_pause_resume.jsonl');
    const docs = lines.filter((l) => l.kind === 'doc').map((l) => [l.name ?? '', l.doc ?? {}] as [string, Doc]);
    const seqs = docs.filter(([n]) => n === 'event').map(([, d]) => d.seq_num);
    assert.deepEqual(seqs, [1, 2, 3, 3, 4, 5, 6, 7, 8, 9, 10], 'bluesky re-emits seq_num 3');
    const run = feed(docs);
    assert.equal(run.events, 10);
    assert.equal(run.replaced, 1);
    assert.equal(run.x.length, 10);
    const third = docs.filter(([n, d]) => n === 'event' && d.seq_num === 3).at(-1)?.[1];
    assert.equal(run.x[2], Number(third?.time) - Number(docs[0]?.[1].time), 'the newer reading wins');
  });

  it('points land at their seq_num whatever the arrival order (live events before the store\'s earlier ones)', () => {
    const docs = readJsonl<[string, Doc]>('python-reference/docs/scan.jsonl');
    const events = docs.filter(([n]) => n === 'event');
    const inOrder = feed(docs);
    const run = new LiveRun(docs[0]?.[1] ?? {});
    run.add('descriptor', docs[1]?.[1] ?? {});
    for (const i of [3, 4, 0, 1, 2]) run.add('event', events[i]?.[1] ?? {});
    assert.deepEqual(run.x, inOrder.x);
    assert.deepEqual(run.ys, inOrder.ys);
    assert.equal(run.events, 5);
    assert.deepEqual(run.latestRows(3).map((r) => r.seq_num), [5, 4, 3]);
    // A gap is null until its point arrives (uPlot draws a gap there).
    const gap = new LiveRun(docs[0]?.[1] ?? {});
    gap.add('descriptor', docs[1]?.[1] ?? {});
    gap.add('event', events[2]?.[1] ?? {});
    assert.deepEqual(gap.x, [null, null, 0]);
    assert.equal(gap.events, 1);
  });

  it('ignores other runs\' documents and streams other than primary', () => {
    const docs = readJsonl<[string, Doc]>('python-reference/docs/scan.jsonl');
    const run = new LiveRun(docs[0]?.[1] ?? {});
    assert.equal(run.add('descriptor', { ...docs[1]?.[1], run_start: 'someone-else' }), false);
    assert.equal(run.add('descriptor', { ...docs[1]?.[1], name: 'baseline' }), false);
    assert.equal(run.add('event', { ...docs[2]?.[1] }), false, 'no primary descriptor yet');
    assert.equal(run.events, 0);
  });

  it('events that arrive before their descriptor (a reload mid-run) are kept until it comes', () => {
    const docs = readJsonl<[string, Doc]>('python-reference/docs/scan.jsonl');
    const run = new LiveRun(docs[0]?.[1] ?? {});
    const events = docs.filter(([n]) => n === 'event');
    for (const [, e] of events.slice(3)) run.add('event', e); // live, before the store's pages
    assert.equal(run.events, 0);
    for (const [name, doc] of docs.slice(1, 4)) run.add(name, doc); // the store: descriptor, events 1, 2
    assert.equal(run.events, 4);
    run.add('event', events[2]?.[1] ?? {});
    assert.deepEqual(run.x, feed(docs).x);
  });
});
