/**
 * One run's data as the panel plots it: the event documents of its primary
 * stream, kept as columns (x and one array per detector field) so a plot can
 * take them as they are, plus the last rows for the table and, for a 2-D
 * grid_scan, the grid of values for the heat map. Fed with documents in order,
 * live or from `runs.get`; pure (no DOM), so tests run it in Node.
 * @module
 */

type Doc = Readonly<Record<string, unknown>>;

export interface EventRow { seq_num: number; time: number; data: Readonly<Record<string, unknown>> }

/** A 2-D grid_scan's layout: point `i` (seq_num - 1) sits at `cellOf(i)` of a rows × cols image. */
export interface Grid {
  rows: number; cols: number;
  /** The slow (rows) and fast (columns) motor fields. */
  yField: string; xField: string;
  /** Motor positions of the first and last point along each axis, when known (start document `extents`). */
  xRange: [number, number] | null; yRange: [number, number] | null;
  /** Every other row runs backwards (`snaking` of the fast axis). */
  snake: boolean;
}

/** Where point `i` of a grid goes: `row * cols + col`, or -1 past the end. */
export function cellOf(g: Grid, i: number): number {
  const row = Math.floor(i / g.cols);
  let col = i % g.cols;
  if (g.snake && row % 2 === 1) col = g.cols - 1 - col; // snaked rows run backwards
  return row >= 0 && row < g.rows ? row * g.cols + col : -1;
}

const TABLE_ROWS = 200;

function arr(x: unknown): unknown[] { return Array.isArray(x) ? x : []; }
function rec(x: unknown): Doc { return typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Doc) : {}; }
function num(x: unknown): number { return typeof x === 'number' ? x : typeof x === 'boolean' ? Number(x) : NaN; }

export class LiveRun {
  readonly uid: string;
  readonly start: Doc;
  readonly planName: string;
  readonly scanId: number | null;
  readonly numPoints: number | null;
  /** The start document's time (s since the epoch). */
  readonly startTime: number;
  /** The newest event's time (the engine's clock; the start time before any). */
  lastEventTime: number;
  stop: Doc | null = null;
  /** x is the first hinted dimension's field, or `time` (seconds since the start document) for count and the like. */
  xField = 'time';
  yFields: string[] = [];
  /** Indexed by seq_num - 1; null where that point has not arrived (yet). */
  readonly x: Array<number | null> = [];
  ys: Array<Array<number | null>> = [];
  /** The newest rows for the table, oldest first. */
  readonly rows: EventRow[] = [];
  /** Distinct points (seq_nums) of the primary stream. */
  events = 0;
  /** Events that re-read a seq_num already shown (after a rewind) and replaced it. */
  replaced = 0;
  grid: Grid | null = null;
  /** Data keys of the primary stream (for the table's columns). */
  columns: string[] = [];
  readonly #t0: number;
  /** Descriptor uids of the primary stream (a replayed `declare_stream` after a rewind emits a second). */
  readonly #primary = new Set<string>();
  /** Events whose descriptor has not come yet (a page reloaded mid-run reads the descriptor from the store while live events already arrive). */
  #orphans: Array<[string, Doc]> = [];

  constructor(start: Doc) {
    this.start = start;
    this.uid = String(start.uid ?? '');
    this.planName = typeof start.plan_name === 'string' ? start.plan_name : '';
    this.scanId = typeof start.scan_id === 'number' ? start.scan_id : null;
    this.numPoints = typeof start.num_points === 'number' ? start.num_points : null;
    this.#t0 = num(start.time);
    this.startTime = this.#t0;
    this.lastEventTime = this.#t0;
  }

  /** The hinted dimension fields, slowest first (`[["motor"], "primary"]` each). */
  get dimensions(): string[] {
    return arr(rec(this.start.hints).dimensions).map((d) => String(arr(arr(d)[0])[0] ?? '')).filter((f) => f !== '');
  }

  /** Feed one document; returns true if it changed what is shown. */
  add(name: string, doc: Doc): boolean {
    switch (name) {
      case 'descriptor': return this.#descriptor(doc);
      case 'event': return this.#event(doc);
      case 'event_page': return this.#page(doc);
      case 'stop': this.stop = doc; return true;
      default: return false;
    }
  }

  #descriptor(doc: Doc): boolean {
    if (doc.run_start !== this.uid || (doc.name ?? 'primary') !== 'primary') return false;
    const first = this.#primary.size === 0;
    this.#primary.add(String(doc.uid));
    if (!first) return false;
    const keys = rec(doc.data_keys);
    const numeric = (k: string): boolean => {
      const dk = rec(keys[k]);
      return (dk.dtype === 'number' || dk.dtype === 'integer' || dk.dtype === 'boolean') && arr(dk.shape).length === 0;
    };
    this.columns = Object.keys(keys);
    const dims = this.dimensions;
    this.xField = dims[dims.length - 1] !== undefined && dims[dims.length - 1] !== 'time' && keys[dims[dims.length - 1] as string] !== undefined
      ? (dims[dims.length - 1] as string) : 'time';
    const motors = new Set([...dims, ...arr(this.start.motors).map(String)]);
    // The fields the devices hint at (ophyd's "kind=hinted"), detectors only; all numeric keys if none.
    const hinted = Object.values(rec(doc.hints)).flatMap((h) => arr(rec(h).fields).map(String));
    const pick = (hinted.length > 0 ? hinted : Object.keys(keys)).filter((f) => numeric(f) && !motors.has(f) && f !== this.xField);
    this.yFields = pick.length > 0 ? pick : Object.keys(keys).filter((f) => numeric(f) && f !== this.xField);
    this.ys = this.yFields.map(() => []);
    const shape = arr(this.start.shape).map(num);
    if (dims.length === 2 && shape.length === 2 && this.yFields[0] !== undefined) {
      const [rows, cols] = shape as [number, number];
      const extents = arr(this.start.extents).map((e) => arr(e).map(num));
      const range = (i: number): [number, number] | null => (extents[i]?.length === 2 ? (extents[i] as [number, number]) : null);
      const snaking = arr(this.start.snaking);
      this.grid = { rows, cols, yField: dims[0] as string, xField: dims[1] as string, yRange: range(0), xRange: range(1), snake: snaking[1] === true };
    }
    this.#adopt();
    return true;
  }

  /** Feed the events that were waiting for a primary descriptor now known. */
  #adopt(): void {
    const waiting = this.#orphans;
    this.#orphans = [];
    for (const [name, doc] of waiting) this.add(name, doc);
  }

  #event(doc: Doc): boolean {
    if (!this.#primary.has(String(doc.descriptor))) return this.#orphan('event', doc);
    this.#point(num(doc.seq_num), num(doc.time), rec(doc.data));
    return true;
  }

  #page(doc: Doc): boolean {
    if (!this.#primary.has(String(doc.descriptor))) return this.#orphan('event_page', doc);
    const data = rec(doc.data);
    const seq = arr(doc.seq_num);
    const time = arr(doc.time);
    seq.forEach((s, i) => {
      const row: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(data)) row[k] = arr(v)[i];
      this.#point(num(s), num(time[i]), row);
    });
    return seq.length > 0;
  }

  /** Until the primary descriptor is known, keep events of unknown descriptors (bounded); after it, they are other streams'. */
  #orphan(name: string, doc: Doc): false {
    if (this.#primary.size === 0 && this.#orphans.length < 100_000) this.#orphans.push([name, doc]);
    return false;
  }

  #point(seqNum: number, time: number, data: Doc): void {
    const at = seqNum - 1;
    if (!Number.isInteger(at) || at < 0) return;
    // Points live at seq_num - 1, so arrival order does not matter: a page reloaded mid-run gets
    // live events while the earlier ones are still being read from the store. And a rewind (pause,
    // then resume) re-reads from the last checkpoint and re-emits those seq_nums: the new reading wins.
    if (at < this.x.length && this.x[at] !== null) this.replaced++;
    else this.events++;
    if (time > this.lastEventTime) this.lastEventTime = time;
    while (this.x.length < at) { this.x.push(null); for (const ys of this.ys) ys.push(null); }
    this.x[at] = this.xField === 'time' ? time - this.#t0 : num(data[this.xField]);
    for (let i = 0; i < this.yFields.length; i++) (this.ys[i] as Array<number | null>)[at] = num(data[this.yFields[i] as string]);
    // Live events come in order: the common case appends without a search.
    const last = this.rows[this.rows.length - 1];
    const r = last === undefined || seqNum > last.seq_num ? -1 : this.rows.findIndex((row) => row.seq_num === seqNum);
    if (r >= 0) this.rows[r] = { seq_num: seqNum, time, data };
    else this.rows.push({ seq_num: seqNum, time, data });
    if (this.rows.length > TABLE_ROWS * 2) { // amortised trim to the newest
      this.rows.sort((a, b) => a.seq_num - b.seq_num);
      this.rows.splice(0, this.rows.length - TABLE_ROWS);
    }
  }

  /** The newest `n` rows, newest first. */
  latestRows(n = 50): EventRow[] { return [...this.rows].sort((a, b) => b.seq_num - a.seq_num).slice(0, n); }

  get exitStatus(): string | null { return this.stop === null ? null : String(this.stop.exit_status ?? ''); }
}
