/** The line plot's columns: ordered by x, over the data's own range, decimated to the plot's pixels. @module */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LiveRun } from '../../src/web/live-run.js';
import { plotData } from '../../src/web/plot-data.js';
import { gridDocs, startOf } from './fixtures.js';

function feed(docs: ReturnType<typeof gridDocs>): LiveRun {
  const run = new LiveRun(startOf(docs));
  for (const [name, doc] of docs.slice(1)) run.add(name, doc);
  return run;
}

const ascending = (xs: readonly number[]): boolean => xs.every((v, i) => i === 0 || v >= (xs[i - 1] as number));

describe('plotData', () => {
  it('a snaked grid with an even number of rows: the x range is the data\'s min and max, not its first and last point', () => {
    const run = feed(gridDocs(4, 5, true));
    // The first and the last point are both at motor2 = -2: taking them as the range was the bug.
    assert.equal(run.x[0], -2);
    assert.equal(run.x.at(-1), -2);
    const d = plotData(run.x, run.ys, { width: 800, height: 300, markers: true });
    assert.deepEqual([d.xMin, d.xMax], [-2, 2]);
    assert.ok(ascending(d.data[0]), 'x ascending, as uPlot assumes');
    assert.equal(d.data[0].length, 20, 'few points: all of them');
    // Every point is still the same (x, y) pair.
    const pairs = (xs: ReadonlyArray<number | null>, ys: ReadonlyArray<number | null>): string[] => xs.map((x, i) => `${String(x)},${String(ys[i])}`).sort();
    assert.deepEqual(pairs(d.data[0], d.data[1] ?? []), pairs(run.x, run.ys[0] ?? []));
  });

  it('a sorted, small series is passed as it is (no copy)', () => {
    const x = [0, 1, 2, 3];
    const y = [5, 6, 7, 8];
    const d = plotData(x, [y], { width: 100, height: 100, markers: false });
    assert.equal(d.data[0], x);
    assert.equal(d.data[1], y);
  });

  it('a reversed scan is plotted in x order over its range', () => {
    const d = plotData([3, 2, 1, 0], [[1, 2, 3, 4]], { width: 100, height: 100, markers: false });
    assert.deepEqual(d.data, [[0, 1, 2, 3], [4, 3, 2, 1]]);
    assert.deepEqual([d.xMin, d.xMax], [0, 3]);
  });

  it('points not yet arrived (null) are left out; no points at all gives empty columns', () => {
    assert.deepEqual(plotData([null, 1, null, 3], [[9, 8, 7, 6]], { width: 100, height: 100, markers: false }).data, [[1, 3], [8, 6]]);
    const empty = plotData([], [[]], { width: 100, height: 100, markers: false });
    assert.deepEqual(empty.data, [[], []]);
    assert.ok(Number.isNaN(empty.xMin));
  });

  it('a long line is decimated to a few points per pixel column, keeping every column\'s lowest and highest', () => {
    const n = 100_000;
    const x = Array.from({ length: n }, (_, i) => i);
    const y = x.map((i) => Math.sin(i / 50) + (i === 54_321 ? 10 : 0));
    const d = plotData(x, [y], { width: 500, height: 300, markers: false });
    assert.ok(d.data[0].length <= 500 * 4, `${String(d.data[0].length)} points`);
    assert.ok(ascending(d.data[0]));
    assert.equal(Math.max(...(d.data[1] as number[])), Math.max(...y), 'the spike survives');
    assert.equal(Math.min(...(d.data[1] as number[])), Math.min(...y));
    assert.deepEqual([d.data[0][0], d.data[0].at(-1)], [0, n - 1], 'the ends survive');
  });

  it('a large grid\'s markers are thinned to one per marker-sized cell, over the full range', () => {
    const run = feed(gridDocs(150, 150, true));
    const d = plotData(run.x, run.ys, { width: 800, height: 300, markers: true, marker: 5 });
    assert.ok(d.data[0].length < 150 * 150 / 2, `${String(d.data[0].length)} of ${String(150 * 150)} points kept`);
    assert.ok(ascending(d.data[0]));
    assert.deepEqual([d.xMin, d.xMax], [-2, 2]);
    // The peak survives to within one marker-sized cell of the 300-pixel-high plot.
    const ys = run.ys[0] as number[];
    const cell = (Math.max(...ys) - Math.min(...ys)) / (300 / 5);
    assert.ok(Math.max(...ys) - Math.max(...(d.data[1] as number[])) <= cell, 'the peak survives');
  });
});
