/**
 * The live plot (uPlot: detector fields against the motor, or against time for
 * count) and, for a 2-D grid_scan, a heat map on a canvas. Both redraw from the
 * run's columns at most once a frame, so thousands of points a second do not
 * freeze the page.
 * @module
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { type Grid, type LiveRun, cellOf } from '../live-run.js';
import type { PanelStats } from '../panel-model.js';

const COLORS = ['#1d6fd8', '#d8431d', '#2a9d3a', '#9b3fd0', '#c7921a', '#17a2b8', '#e83e8c', '#6c757d'];

interface PlotProps { run: LiveRun | null; version: number; stats?: PanelStats; height?: number; label?: string }

export function LivePlot({ run, version, stats, height = 300, label = 'live plot' }: PlotProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const key = run === null ? '' : `${run.uid}|${run.xField}|${run.yFields.join(',')}`;

  // A new run (or its fields became known): a new uPlot.
  useEffect(() => {
    const el = box.current;
    if (el === null || run === null || run.yFields.length === 0) return undefined;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth), height,
      scales: { x: { time: false } },
      axes: [{ label: run.xField === 'time' ? 'time since start (s)' : run.xField }, { label: run.yFields.length === 1 ? run.yFields[0] ?? '' : 'value' }],
      series: [{ label: run.xField === 'time' ? 't (s)' : run.xField }, ...run.yFields.map((f, i) => ({
        label: f, stroke: COLORS[i % COLORS.length] ?? '#000', width: 1.5,
        // A grid's points, plotted against the fast motor, are not a curve: markers only.
        ...(run.grid === null ? { points: { size: 4 } } : { paths: () => null, points: { show: true, size: 6, fill: COLORS[i % COLORS.length] ?? '#000' } }),
      }))],
      cursor: { drag: { x: true, y: true } },
    };
    const u = new uPlot(opts, [run.x, ...run.ys] as uPlot.AlignedData, el);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => { ro.disconnect(); u.destroy(); plot.current = null; };
  }, [key, height]);

  // New points: hand uPlot the same columns; it rescales and redraws once.
  useEffect(() => {
    const u = plot.current;
    if (u === null || run === null) return;
    u.setData([run.x, ...run.ys] as uPlot.AlignedData);
    if (stats !== undefined) { stats.eventsRendered = run.x.length; stats.lastRenderAt = performance.now(); }
  }, [version, key]);

  return (
    <figure class="plot" aria-label={label}>
      <div ref={box} class="plot-box" data-testid="plot" data-points={run?.x.length ?? 0} />
      {run === null ? <figcaption class="empty">No run yet: start a plan.</figcaption>
        : run.yFields.length === 0 ? <figcaption class="empty">Waiting for the first reading…</figcaption> : null}
    </figure>
  );
}

/** viridis-like ramp, 0 → dark blue, 1 → yellow. */
function colour(t: number): string {
  const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]] as const;
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = stops[i] as readonly number[], b = stops[i + 1] as readonly number[];
  return `rgb(${[0, 1, 2].map((k) => Math.round((a[k] ?? 0) + ((b[k] ?? 0) - (a[k] ?? 0)) * f)).join(',')})`;
}

/** A grid_scan's detector values as an image (rows = slow motor, columns = fast motor), one detector field at a time. */
export function Heatmap({ run, version }: { run: LiveRun; version: number }) {
  const grid = run.grid as Grid;
  const canvas = useRef<HTMLCanvasElement>(null);
  const [chosen, setChosen] = useState<string | null>(null);
  // Default: the field that varies most over the grid so far (the detector that sees the motors).
  const field = chosen !== null && run.yFields.includes(chosen) ? chosen : mostVaried(run);
  const k = run.yFields.indexOf(field);
  useEffect(() => {
    const c = canvas.current;
    const ctx = c?.getContext('2d');
    if (c == null || ctx == null) return;
    const ys = run.ys[k] ?? [];
    const W = c.width, H = c.height;
    let lo = Infinity, hi = -Infinity;
    for (const v of ys) if (v !== null && Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    ctx.fillStyle = '#eef1f5';
    ctx.fillRect(0, 0, W, H);
    const cw = W / grid.cols, ch = H / grid.rows;
    ys.forEach((v, i) => {
      const cell = cellOf(grid, i);
      if (cell < 0 || v === null || !Number.isFinite(v)) return;
      const r = Math.floor(cell / grid.cols), col = cell % grid.cols;
      ctx.fillStyle = colour(hi > lo ? (v - lo) / (hi - lo) : 0.5);
      // Row 0 (the slow motor's first position) at the bottom, as on a y axis.
      ctx.fillRect(Math.floor(col * cw), Math.floor(H - (r + 1) * ch), Math.ceil(cw), Math.ceil(ch));
    });
  }, [version, run, k]);
  const range = (r: [number, number] | null): string => (r === null ? '' : ` (${String(r[0])} → ${String(r[1])})`);
  return (
    <figure class="heatmap" aria-label={`heat map of ${field}`}>
      <canvas ref={canvas} width={480} height={Math.max(120, Math.round((480 * grid.rows) / grid.cols))} data-testid="heatmap" data-field={field} />
      <figcaption>
        <label>heat map of <select value={field} onChange={(e) => setChosen((e.target as HTMLSelectElement).value)}>
          {run.yFields.map((f) => <option key={f} value={f}>{f}</option>)}
        </select></label>
        {' '}x = {grid.xField}{range(grid.xRange)}, y = {grid.yField}{range(grid.yRange)}, {grid.rows} × {grid.cols}
      </figcaption>
    </figure>
  );
}

function mostVaried(run: LiveRun): string {
  let best = run.yFields[0] ?? '', spread = -1;
  run.ys.forEach((ys, i) => {
    let lo = Infinity, hi = -Infinity;
    for (const v of ys) if (v !== null && Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    const s = hi > lo ? (hi - lo) / (Math.abs(hi) + Math.abs(lo) || 1) : 0;
    if (s > spread) { spread = s; best = run.yFields[i] ?? best; }
  });
  return best;
}
