/**
 * The live plot (uPlot: detector fields against the motor, or against time for
 * count). It redraws at most once a frame from {@link plotData}: points
 * ordered by x over the data's own x range, decimated to what the plot's
 * pixels can show, so a 20 000-point grid costs no more than a few thousand.
 * @module
 */
import { useLayoutEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { LiveRun } from '../live-run.js';
import { useThrottled } from './use-model.js';
import { plotData } from '../plot-data.js';

export { Heatmap } from './heatmap.js';

const COLORS = ['#1d6fd8', '#d8431d', '#2a9d3a', '#9b3fd0', '#c7921a', '#17a2b8', '#e83e8c', '#6c757d'];
const MARKER = 5;

interface PlotProps {
  run: LiveRun | null;
  version: number;
  height?: number;
  label?: string;
  /** Told after each draw with the number of points the run has (the panel's counters). */
  onDraw?: (points: number) => void;
}

/** The x scale: the data's min and max (a little wider when they are equal). */
function xRange(min: number, max: number): [number, number] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (min === max) { const pad = Math.abs(min) * 0.1 || 1; return [min - pad, max + pad]; }
  return [min, max];
}

/**
 * Longest the plot waits between redraws of a fast run. Handing a canvas of this size to the
 * compositor costs a software-rendering browser ~10 ms a frame; 20 redraws a second look live
 * and leave the time to the stream (the heat map and the status bar still move every frame).
 */
const PLOT_MS = 50;

export function LivePlot({ run, version: live, height = 300, label = 'live plot', onDraw }: PlotProps) {
  const version = useThrottled(live, PLOT_MS);
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const range = useRef<[number, number]>([0, 1]);
  const key = run === null ? '' : `${run.uid}|${run.xField}|${run.yFields.join(',')}`;
  const markers = run?.grid != null;

  // A new run (or its fields became known): a new uPlot.
  useLayoutEffect(() => {
    const el = box.current;
    if (el === null || run === null || run.yFields.length === 0) return undefined;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth), height,
      // uPlot would take the first and last x; a snake or a reversed scan needs the data's own range.
      scales: { x: { time: false, range: () => range.current } },
      axes: [{ label: run.xField === 'time' ? 'time since start (s)' : run.xField }, { label: run.yFields.length === 1 ? run.yFields[0] ?? '' : 'value' }],
      series: [{ label: run.xField === 'time' ? 't (s)' : run.xField }, ...run.yFields.map((f, i) => ({
        label: f, stroke: COLORS[i % COLORS.length] ?? '#000', width: 1.5,
        // A grid's points, plotted against the fast motor, are not a curve: markers only.
        ...(markers ? { paths: () => null, points: { show: true, size: MARKER, fill: COLORS[i % COLORS.length] ?? '#000' } } : { points: { size: 4 } }),
      }))],
      cursor: { drag: { x: true, y: true } },
      // The x range drawn, for the tests (uPlot sets scales after setData returns).
      hooks: { setScale: [(u: uPlot, k: string) => { if (k === 'x') { el.dataset.xMin = String(u.scales.x?.min ?? ''); el.dataset.xMax = String(u.scales.x?.max ?? ''); } }] },
    };
    const u = new uPlot(opts, [[], ...run.yFields.map(() => [])] as uPlot.AlignedData, el);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => { ro.disconnect(); u.destroy(); plot.current = null; };
  }, [key, height]);

  // New points: ordered, decimated, over their own range; uPlot redraws once.
  useLayoutEffect(() => {
    const u = plot.current;
    const el = box.current;
    if (u === null || run === null || el === null) return;
    const d = plotData(run.x, run.ys, { width: u.bbox.width / (window.devicePixelRatio || 1) || el.clientWidth, height: u.bbox.height / (window.devicePixelRatio || 1) || height, markers, marker: MARKER });
    range.current = xRange(d.xMin, d.xMax);
    u.setData(d.data as uPlot.AlignedData);
    el.dataset.drawn = String(d.data[0].length);
    onDraw?.(run.x.length);
  }, [version, key]);

  return (
    <figure class="plot" aria-label={label}>
      <div ref={box} class="plot-box" data-testid="plot" data-points={run?.x.length ?? 0} />
      {run === null ? <figcaption class="empty">No run yet: start a plan.</figcaption>
        : run.yFields.length === 0 ? <figcaption class="empty">Waiting for the first reading…</figcaption> : null}
    </figure>
  );
}
