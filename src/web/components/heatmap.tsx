/**
 * A 2-D grid_scan's detector values as an image (rows: the slow motor, bottom
 * to top; columns: the fast motor; snaked rows placed right), with axis ticks
 * at the motor positions (the start document's `extents`) and a colour scale.
 * One pixel per cell is written into a small canvas that the browser scales
 * up, so a 300 × 300 grid redraws in a fraction of a frame.
 * @module
 */
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { type Grid, type LiveRun, cellOf } from '../live-run.js';
import { niceTicks, tickLabel } from '../ticks.js';

/** viridis-like ramp, 0 → dark blue, 1 → yellow, as 256 RGB triples. */
const LUT: Uint8ClampedArray = (() => {
  const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]] as const;
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const x = (i / 255) * (stops.length - 1);
    const k = Math.min(stops.length - 2, Math.floor(x));
    const f = x - k;
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = (stops[k]?.[c] ?? 0) + ((stops[k + 1]?.[c] ?? 0) - (stops[k]?.[c] ?? 0)) * f;
  }
  return lut;
})();

const M = { left: 58, right: 74, top: 10, bottom: 40 } as const;
const BAR = 14;
const INK = '#1b2430', MUTED = '#5b6675', EMPTY = [238, 241, 245] as const;

/** The heat map's layout at a given width (CSS pixels). */
interface Layout { cssW: number; cssH: number; plotW: number; plotH: number }

function layoutOf(width: number, grid: Grid): Layout {
  const cssW = Math.max(260, Math.min(720, width || 480));
  const plotW = cssW - M.left - M.right;
  const plotH = Math.max(100, Math.min(420, Math.round((plotW * grid.rows) / grid.cols)));
  return { cssW, cssH: plotH + M.top + M.bottom, plotW, plotH };
}

/** Where value `v` of an axis of `n` cells spanning `range` sits, in cells (0 = first cell's centre). */
function cellPos(v: number, n: number, range: [number, number] | null): number {
  if (range === null || n < 2 || range[1] === range[0]) return v - 1; // no extents: ticks are 1-based cell numbers
  return ((v - range[0]) / (range[1] - range[0])) * (n - 1);
}

function axisTicks(n: number, range: [number, number] | null, count: number): number[] {
  if (range === null || n < 2) return niceTicks(1, n, Math.min(count, n)).filter((t) => Number.isInteger(t));
  return niceTicks(range[0], range[1], count);
}

/** The cells, one pixel each, into `img` (row 0, the slow motor's first position, at the bottom); returns the value range. */
function paintCells(img: ImageData, grid: Grid, ys: ReadonlyArray<number | null>): { lo: number; hi: number } {
  let lo = Infinity, hi = -Infinity;
  for (const v of ys) if (v !== null && Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
  const px = img.data;
  for (let i = 0; i < px.length; i += 4) { px[i] = EMPTY[0]; px[i + 1] = EMPTY[1]; px[i + 2] = EMPTY[2]; px[i + 3] = 255; }
  for (let i = 0; i < ys.length; i++) {
    const v = ys[i];
    const cell = cellOf(grid, i);
    if (cell < 0 || v === null || v === undefined || !Number.isFinite(v)) continue;
    const r = Math.floor(cell / grid.cols), col = cell % grid.cols;
    const k = Math.round(hi > lo ? ((v - lo) / (hi - lo)) * 255 : 128) * 3;
    const o = ((grid.rows - 1 - r) * grid.cols + col) * 4;
    px[o] = LUT[k] ?? 0; px[o + 1] = LUT[k + 1] ?? 0; px[o + 2] = LUT[k + 2] ?? 0;
  }
  return { lo, hi };
}

/** What the frame shows, for the caption and the tests: the colour range and each axis's tick labels. */
interface Frame { lo: number; hi: number; xTicks: string[]; yTicks: string[]; colourTicks: string[] }

/** Axes, ticks and the colour scale around the cells (redrawn only when one of them changes). */
function drawFrame(c: HTMLCanvasElement, grid: Grid, L: Layout, field: string, lo: number, hi: number): Frame {
  const dpr = window.devicePixelRatio || 1;
  const { cssW, cssH, plotW, plotH } = L;
  if (c.width !== Math.round(cssW * dpr) || c.height !== Math.round(cssH * dpr)) {
    c.width = Math.round(cssW * dpr);
    c.height = Math.round(cssH * dpr);
  }
  const out: Frame = { lo, hi, xTicks: [], yTicks: [], colourTicks: [] };
  const ctx = c.getContext('2d');
  if (ctx === null) return out;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssW, cssH);
  ctx.strokeStyle = '#b9c2cd';
  ctx.strokeRect(M.left - 0.5, M.top - 0.5, plotW + 1, plotH + 1);
  ctx.fillStyle = INK;
  ctx.font = '11px system-ui, sans-serif';
  // x axis: the fast motor.
  const cw = plotW / grid.cols, ch = plotH / grid.rows;
  const xt = axisTicks(grid.cols, grid.xRange, Math.max(2, Math.floor(plotW / 70)));
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const t of xt) {
    const x = M.left + (cellPos(t, grid.cols, grid.xRange) + 0.5) * cw;
    if (x < M.left - 1 || x > M.left + plotW + 1) continue;
    ctx.fillRect(Math.round(x), M.top + plotH, 1, 4);
    ctx.fillText(tickLabel(t, xt), x, M.top + plotH + 6);
    out.xTicks.push(tickLabel(t, xt));
  }
  ctx.fillStyle = MUTED;
  ctx.fillText(grid.xRange === null ? `${grid.xField} (point)` : grid.xField, M.left + plotW / 2, M.top + plotH + 22);
  // y axis: the slow motor, bottom to top.
  ctx.fillStyle = INK;
  const yt = axisTicks(grid.rows, grid.yRange, Math.max(2, Math.floor(plotH / 60)));
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const t of yt) {
    const y = M.top + plotH - (cellPos(t, grid.rows, grid.yRange) + 0.5) * ch;
    if (y < M.top - 1 || y > M.top + plotH + 1) continue;
    ctx.fillRect(M.left - 4, Math.round(y), 4, 1);
    ctx.fillText(tickLabel(t, yt), M.left - 6, y);
    out.yTicks.push(tickLabel(t, yt));
  }
  ctx.save();
  ctx.fillStyle = MUTED;
  ctx.translate(12, M.top + plotH / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.fillText(grid.yRange === null ? `${grid.yField} (row)` : grid.yField, 0, 0);
  ctx.restore();
  // Colour scale: the detector field, low at the bottom.
  const bx = M.left + plotW + 12;
  const ramp = ctx.createLinearGradient(0, M.top + plotH, 0, M.top);
  for (let i = 0; i <= 8; i++) {
    const k = Math.round((i / 8) * 255) * 3;
    ramp.addColorStop(i / 8, `rgb(${String(LUT[k])},${String(LUT[k + 1])},${String(LUT[k + 2])})`);
  }
  ctx.fillStyle = ramp;
  ctx.fillRect(bx, M.top, BAR, plotH);
  ctx.strokeStyle = '#b9c2cd';
  ctx.strokeRect(bx - 0.5, M.top - 0.5, BAR + 1, plotH + 1);
  ctx.fillStyle = INK;
  ctx.textAlign = 'left';
  if (hi > lo) {
    const ct = niceTicks(lo, hi, Math.max(2, Math.floor(plotH / 60)));
    for (const t of ct) {
      const y = M.top + plotH - ((t - lo) / (hi - lo)) * plotH;
      ctx.fillRect(bx + BAR, Math.round(y), 3, 1);
      ctx.fillText(tickLabel(t, ct), bx + BAR + 5, y);
      out.colourTicks.push(tickLabel(t, ct));
    }
  } else if (lo === hi) {
    ctx.fillText(tickLabel(lo, [lo]), bx + BAR + 5, M.top + plotH / 2);
    out.colourTicks.push(tickLabel(lo, [lo]));
  }
  // The field's name along the colour scale, read bottom to top.
  ctx.save();
  ctx.fillStyle = MUTED;
  ctx.translate(cssW - 2, M.top + plotH / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.textBaseline = 'bottom';
  ctx.fillText(field, 0, 0);
  ctx.restore();
  return out;
}

const fmt = (v: number): string => (Number.isFinite(v) ? tickLabel(v, [v]) : '—');

/**
 * A grid_scan's heat map, one detector field at a time (default: the one that varies most).
 * Two layers: the cells (a canvas of one pixel per cell, scaled by the browser) change every
 * frame; the frame around them (axes, colour scale) only when its ticks or labels change.
 */
export function Heatmap({ run, version }: { run: LiveRun; version: number }) {
  const grid = run.grid as Grid;
  const box = useRef<HTMLDivElement>(null);
  const cells = useRef<HTMLCanvasElement>(null);
  const frame = useRef<HTMLCanvasElement>(null);
  const caption = useRef<HTMLSpanElement>(null);
  const drawnKey = useRef('');
  const [width, setWidth] = useState(480);
  const [chosen, setChosen] = useState<string | null>(null);
  const field = chosen !== null && run.yFields.includes(chosen) ? chosen : mostVaried(run);
  const k = run.yFields.indexOf(field);
  const L = layoutOf(width, grid);

  useLayoutEffect(() => {
    const el = box.current;
    if (el === null) return undefined;
    const measure = (): void => setWidth(el.clientWidth);
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useLayoutEffect(() => {
    const c = cells.current, f = frame.current;
    const ctx = c?.getContext('2d');
    if (c == null || f === null || ctx == null) return;
    const img = ctx.createImageData(grid.cols, grid.rows);
    const { lo, hi } = paintCells(img, grid, run.ys[k] ?? []);
    ctx.putImageData(img, 0, 0);
    // The frame's labels are the colour range at tick precision: most frames change nothing there.
    const key = `${String(L.cssW)}|${field}|${grid.rows}x${grid.cols}|${fmt(lo)}|${fmt(hi)}|${niceTicks(lo, hi, 4).join()}`;
    if (key === drawnKey.current) return;
    drawnKey.current = key;
    const d = drawFrame(f, grid, L, field, lo, hi);
    Object.assign(f.dataset, { colourMin: String(d.lo), colourMax: String(d.hi), xTicks: d.xTicks.join(' '), yTicks: d.yTicks.join(' '), colourTicks: d.colourTicks.join(' ') });
    const range = (r: [number, number] | null): string => (r === null ? '' : ` from ${String(r[0])} to ${String(r[1])}`);
    f.setAttribute('aria-label', `${field} over ${grid.xField}${range(grid.xRange)} (across) and ${grid.yField}${range(grid.yRange)} (up); colour from ${fmt(d.lo)} to ${fmt(d.hi)}`);
    if (caption.current !== null) caption.current.textContent = `colour ${fmt(d.lo)} → ${fmt(d.hi)}`;
  }, [version, run, k, L.cssW]);

  return (
    <figure class="heatmap" aria-label={`heat map of ${field}`}>
      <div ref={box} class="heatmap-box" style={{ height: `${String(L.cssH)}px` }}>
        <canvas ref={cells} class="cells" width={grid.cols} height={grid.rows} aria-hidden="true"
          style={{ left: `${String(M.left)}px`, top: `${String(M.top)}px`, width: `${String(L.plotW)}px`, height: `${String(L.plotH)}px` }} />
        <canvas ref={frame} class="frame" data-testid="heatmap" data-field={field} role="img"
          style={{ width: `${String(L.cssW)}px`, height: `${String(L.cssH)}px` }} />
      </div>
      <figcaption>
        <label>heat map of <select value={field} onChange={(e) => setChosen((e.target as HTMLSelectElement).value)}>
          {run.yFields.map((f) => <option key={f} value={f}>{f}</option>)}
        </select></label>
        {' '}{grid.rows} × {grid.cols} points · <span ref={caption} />
      </figcaption>
    </figure>
  );
}

function mostVaried(run: LiveRun): string {
  let best = run.yFields[0] ?? '', spread = -1;
  run.ys.forEach((ys, i) => {
    let lo = Infinity, hi = -Infinity;
    for (const v of ys) if (v !== null && Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
    const s = hi > lo ? (hi - lo) / (Math.abs(hi) + Math.abs(lo) || 1) : 0;
    if (s > spread) { spread = s; best = run.yFields[i] ?? best; }
  });
  return best;
}
