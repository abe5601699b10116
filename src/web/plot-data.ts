/**
 * What the line plot is given: the run's columns ordered by x (uPlot assumes
 * sorted x; a snaked grid, a reversed scan or a list scan is not), the x range
 * over the data's min and max (never its first and last point), and no more
 * points than the plot has pixels for. Pure: unit-tested in Node.
 * @module
 */

/** uPlot's aligned data: x, then one column per series. */
export type Columns = [number[], ...Array<Array<number | null>>];

export interface PlotData {
  data: Columns;
  /** The data's x range (equal when there is one distinct x; NaN when there is no point). */
  xMin: number;
  xMax: number;
}

export interface PlotOptions {
  /** Columns of pixels the x axis has (one bucket each). */
  width: number;
  /** Rows of pixels the y axis has. */
  height: number;
  /** Markers only (a grid's points against the fast motor): keep one point per marker-sized cell. */
  markers: boolean;
  /** Marker size in pixels (markers mode). Default 4. */
  marker?: number;
}

const finite = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * The plot's columns from the run's (`x[i]`, `ys[k][i]`, indexed by seq_num - 1, null where
 * a point has not arrived). Lines keep, per pixel column and series, the first, last, lowest
 * and highest point (the drawn line looks the same); markers keep one point per cell.
 */
export function plotData(x: ReadonlyArray<number | null>, ys: ReadonlyArray<ReadonlyArray<number | null>>, opts: PlotOptions): PlotData {
  let idx: number[] = [];
  let xMin = Infinity, xMax = -Infinity, sorted = true, prev = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (!finite(v)) continue;
    idx.push(i);
    if (v < xMin) xMin = v;
    if (v > xMax) xMax = v;
    if (v < prev) sorted = false;
    prev = v;
  }
  if (idx.length === 0) return { data: [[], ...ys.map(() => [])], xMin: NaN, xMax: NaN };
  const buckets = Math.max(1, Math.floor(opts.width));
  const bucketOf = (v: number): number => (xMax > xMin ? Math.min(buckets - 1, Math.floor(((v - xMin) / (xMax - xMin)) * buckets)) : 0);
  if (opts.markers) {
    if (idx.length > buckets) idx = cells(x, ys, idx, bucketOf, opts);
    if (!sorted) idx = byX(x, idx);
  } else {
    if (!sorted) idx = byX(x, idx);
    if (idx.length > buckets * 4) idx = extremes(x, ys, idx, bucketOf);
  }
  if (sorted && idx.length === x.length) return { data: [x as number[], ...ys.map((c) => c as Array<number | null>)], xMin, xMax }; // as it is: no copy
  const data: Columns = [idx.map((i) => x[i] as number), ...ys.map((c) => idx.map((i) => c[i] ?? null))];
  return { data, xMin, xMax };
}

/** Indices ordered by x (ties keep seq order). */
function byX(x: ReadonlyArray<number | null>, idx: number[]): number[] {
  return [...idx].sort((a, b) => (x[a] as number) - (x[b] as number) || a - b);
}

/** Per x bucket and series: the first, last, lowest and highest point (in the given order). */
function extremes(x: ReadonlyArray<number | null>, ys: ReadonlyArray<ReadonlyArray<number | null>>, idx: readonly number[], bucketOf: (v: number) => number): number[] {
  const keep = new Set<number>();
  let start = 0;
  while (start < idx.length) {
    const b = bucketOf(x[idx[start] as number] as number);
    let end = start;
    while (end + 1 < idx.length && bucketOf(x[idx[end + 1] as number] as number) === b) end++;
    keep.add(idx[start] as number).add(idx[end] as number);
    for (const col of ys) {
      let lo = -1, hi = -1;
      for (let j = start; j <= end; j++) {
        const v = col[idx[j] as number];
        if (!finite(v)) continue;
        if (lo < 0 || v < (col[lo] as number)) lo = idx[j] as number;
        if (hi < 0 || v > (col[hi] as number)) hi = idx[j] as number;
      }
      if (lo >= 0) keep.add(lo).add(hi);
    }
    start = end + 1;
  }
  return idx.filter((i) => keep.has(i));
}

/** One point per marker-sized cell of each series (the newest wins: it is drawn on top). */
function cells(x: ReadonlyArray<number | null>, ys: ReadonlyArray<ReadonlyArray<number | null>>, idx: readonly number[], bucketOf: (v: number) => number, opts: PlotOptions): number[] {
  const size = Math.max(1, opts.marker ?? 4);
  const cols = Math.max(1, Math.ceil(opts.width / size));
  const rows = Math.max(1, Math.ceil(opts.height / size));
  const xCell = (v: number): number => Math.floor((bucketOf(v) * cols) / Math.max(1, Math.floor(opts.width)));
  const keep = new Set<number>();
  for (const col of ys) {
    let lo = Infinity, hi = -Infinity;
    for (const i of idx) { const v = col[i]; if (finite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; } }
    const seen = new Map<number, number>();
    for (const i of idx) {
      const v = col[i];
      if (!finite(v)) continue;
      const r = hi > lo ? Math.min(rows - 1, Math.floor(((v - lo) / (hi - lo)) * rows)) : 0;
      seen.set(xCell(x[i] as number) * rows + r, i);
    }
    for (const i of seen.values()) keep.add(i);
  }
  return idx.filter((i) => keep.has(i));
}
