/**
 * The live plot (uPlot: detector fields against the motor, or against time for
 * count) and, for a 2-D grid_scan, a heat map on a canvas. Both redraw from the
 * run's columns at most once a frame, so thousands of points a second do not
 * freeze the page.
 * @module
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Grid, LiveRun } from '../live-run.js';
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
        label: f, stroke: COLORS[i % COLORS.length] ?? '#000', width: 1.5, points: { size: 4 },
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

/** A grid_scan's detector values as an image: rows = slow motor, columns = fast motor. */
export function Heatmap({ grid, version }: { grid: Grid; version: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = canvas.current;
    const ctx = c?.getContext('2d');
    if (c == null || ctx == null) return;
    const W = c.width, H = c.height;
    let lo = Infinity, hi = -Infinity;
    for (const v of grid.values) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    ctx.fillStyle = '#eef1f5';
    ctx.fillRect(0, 0, W, H);
    const cw = W / grid.cols, ch = H / grid.rows;
    for (let r = 0; r < grid.rows; r++) {
      for (let col = 0; col < grid.cols; col++) {
        const v = grid.values[r * grid.cols + col] ?? NaN;
        if (!Number.isFinite(v)) continue;
        ctx.fillStyle = colour(hi > lo ? (v - lo) / (hi - lo) : 0.5);
        // Row 0 (the slow motor's first position) at the bottom, as on a y axis.
        ctx.fillRect(Math.floor(col * cw), Math.floor(H - (r + 1) * ch), Math.ceil(cw), Math.ceil(ch));
      }
    }
  }, [version, grid]);
  const range = (r: [number, number] | null): string => (r === null ? '' : ` (${String(r[0])} → ${String(r[1])})`);
  return (
    <figure class="heatmap" aria-label={`heat map of ${grid.field}`}>
      <canvas ref={canvas} width={480} height={Math.max(120, Math.round((480 * grid.rows) / grid.cols))} data-testid="heatmap" />
      <figcaption>{grid.field}: x = {grid.xField}{range(grid.xRange)}, y = {grid.yField}{range(grid.yRange)}, {grid.rows} × {grid.cols}</figcaption>
    </figure>
  );
}
