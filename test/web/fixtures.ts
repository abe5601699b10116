/**
 * Documents shaped like bluesky's, made here (no recordings needed): a grid_scan
 * (snaked or not) and a count, for the panel's unit tests.
 * @module
 */
export type Doc = Record<string, unknown>;

const T0 = 1_700_000_000;

/** A `rows` × `cols` grid_scan of det4 over motor1 (slow, -1..1) and motor2 (fast, -2..2). */
export function gridDocs(rows: number, cols: number, snake: boolean, opts: { uid?: string; points?: number; exit?: string } = {}): Array<[string, Doc]> {
  const uid = opts.uid ?? `grid-${String(rows)}x${String(cols)}`;
  const start: Doc = {
    uid, time: T0, scan_id: 1, plan_name: 'grid_scan', motors: ['motor1', 'motor2'], detectors: ['det4'], num_points: rows * cols,
    shape: [rows, cols], extents: [[-1, 1], [-2, 2]], snaking: [false, snake],
    hints: { dimensions: [[['motor1'], 'primary'], [['motor2'], 'primary']] },
  };
  const number = { dtype: 'number', shape: [], source: 'sim' };
  const descriptor: Doc = {
    uid: `${uid}-d`, run_start: uid, name: 'primary', time: T0,
    data_keys: { motor1: number, motor1_setpoint: number, motor2: number, motor2_setpoint: number, det4: number },
    hints: { motor1: { fields: ['motor1'] }, motor2: { fields: ['motor2'] }, det4: { fields: ['det4'] } },
  };
  const out: Array<[string, Doc]> = [['start', start], ['descriptor', descriptor]];
  const at = (i: number, n: number, lo: number, hi: number): number => (n === 1 ? lo : lo + ((hi - lo) * i) / (n - 1));
  const total = opts.points ?? rows * cols;
  for (let i = 0; i < total; i++) {
    const r = Math.floor(i / cols);
    const c0 = i % cols;
    const c = snake && r % 2 === 1 ? cols - 1 - c0 : c0;
    const m1 = at(r, rows, -1, 1), m2 = at(c, cols, -2, 2);
    const data = { motor1: m1, motor1_setpoint: m1, motor2: m2, motor2_setpoint: m2, det4: Math.exp(-(m1 * m1 + m2 * m2) / 2) };
    out.push(['event', { uid: `${uid}-e${String(i)}`, descriptor: `${uid}-d`, seq_num: i + 1, time: T0 + 0.01 * (i + 1), data, timestamps: {} }]);
  }
  if (opts.exit !== undefined) out.push(['stop', { uid: `${uid}-s`, run_start: uid, time: T0 + 0.01 * (total + 1), exit_status: opts.exit, reason: '', num_events: { primary: total } }]);
  return out;
}

/** A count of `det` with `num` readings of which `points` arrived, 0.1 s apart. */
export function countDocs(num: number | null, points: number, opts: { uid?: string; exit?: string; reason?: string } = {}): Array<[string, Doc]> {
  const uid = opts.uid ?? 'count-1';
  const out: Array<[string, Doc]> = [
    ['start', { uid, time: T0, scan_id: 2, plan_name: 'count', detectors: ['det'], num_points: num, hints: { dimensions: [[['time'], 'primary']] } }],
    ['descriptor', { uid: `${uid}-d`, run_start: uid, name: 'primary', time: T0, data_keys: { det: { dtype: 'number', shape: [], source: 'sim' } }, hints: { det: { fields: ['det'] } } }],
  ];
  for (let i = 0; i < points; i++) out.push(['event', { uid: `${uid}-e${String(i)}`, descriptor: `${uid}-d`, seq_num: i + 1, time: T0 + 0.1 * (i + 1), data: { det: i }, timestamps: {} }]);
  if (opts.exit !== undefined) out.push(['stop', { uid: `${uid}-s`, run_start: uid, time: T0 + 0.1 * (points + 1), exit_status: opts.exit, reason: opts.reason ?? '', num_events: { primary: points } }]);
  return out;
}

/** Documents fed in order to something with `add(name, doc)`, the start document first. */
export function startOf(docs: Array<[string, Doc]>): Doc {
  const first = docs[0];
  if (first?.[0] !== 'start') throw new Error('the first document must be a start document');
  return first[1];
}
