/**
 * The web panel in Firefox (Debian's firefox-esr over WebDriver BiDi): it
 * connects, builds the form, starts a grid_scan and a count from it, draws the
 * plot, the heat map and the progress bar, and shows a validation error. The
 * full scenario runs in Chromium (panel.e2e.test.ts); this checks the same
 * bundle works in the other engine.
 * @module
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { TempDirs } from '../store/tmp.js';
import { Firefox, firefoxTests } from './firefox-bidi.js';
import { SHOTS, ServerProcess } from './harness.js';

const dirs = new TempDirs();
let server: ServerProcess;
let ff: Firefox;

/** Page-side helpers: set a field the way typing or choosing would (Preact listens to input/change). */
const HELPERS = `
window.__t = {
  q: (s) => document.querySelector(s),
  type(sel, value) { const el = document.querySelector(sel); const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set; set.call(el, value); el.dispatchEvent(new Event('input', { bubbles: true })); },
  choose(sel, value) { const el = document.querySelector(sel); el.value = value; el.dispatchEvent(new Event('change', { bubbles: true })); },
  tick(names) { for (const box of document.querySelectorAll('[data-field=detectors] input[type=checkbox]')) if (box.checked !== names.includes(box.value)) box.click(); },
  points: () => Number(document.querySelector('[data-testid=plot]')?.getAttribute('data-points')),
};`;

describe('web panel (Firefox)', { timeout: 120_000, ...firefoxTests() }, () => {
  before(async () => {
    server = new ServerProcess(dirs.make());
    await server.start();
    ff = await Firefox.launch();
    await ff.viewport(1366, 860);
    await ff.goto(server.httpUrl);
    await ff.until(`document.querySelector('[data-testid=connection]')?.textContent?.startsWith('connected')`);
    await ff.eval(`(() => { ${HELPERS} })()`);
    await ff.until(`document.querySelectorAll('[data-testid=plan-select] option').length > 5`); // the plans have loaded
  });

  after(async () => {
    await ff?.close();
    await server?.stop();
    dirs.cleanup();
  });

  it('runs a grid_scan from the form: plot, heat map and a full progress bar', async () => {
    assert.match(await ff.eval<string>('navigator.userAgent'), /Firefox/);
    await ff.eval(`__t.choose('[data-testid=plan-select]', 'grid_scan')`);
    await ff.until(`__t.q('[data-field=args] tbody tr')`);
    await ff.eval(`__t.tick(['det4'])`);
    await ff.until(`__t.q('[data-field=args] tbody tr select')?.value === 'motor1'`);
    await ff.until(`!__t.q('button[data-action=start]').disabled`);
    await ff.eval(`__t.q('button[data-action=start]').click()`);
    await ff.until(`__t.points() === 12 && __t.q('[data-testid=state]').textContent === 'idle'`);
    assert.equal(await ff.eval(`__t.q('[role=progressbar]').getAttribute('aria-valuenow')`), '12');
    // Only det4 was ticked (two quick clicks must both count), and it is what the heat map shows.
    assert.deepEqual(await ff.eval(`window.__panel.run.yFields`), ['det4']);
    assert.equal(await ff.eval(`__t.q('[data-testid=heatmap]').dataset.field`), 'det4');
    // The heat map has colour where the points are: its cell layer is one pixel a cell, all 12 painted.
    const painted = await ff.eval<number>(`(() => { const c = __t.q('.heatmap canvas.cells'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] !== 0xee || d[i + 1] !== 0xf1) n++; return n; })()`);
    assert.equal(painted, 12, 'every cell painted');
    assert.ok(Number(await ff.eval(`__t.q('[data-testid=heatmap]').dataset.colourMax`)) > 0, 'a colour scale');
    // Firefox runs the stream in a module worker too.
    assert.equal(await ff.eval(`window.__panel.streamWhere`), 'worker');
    mkdirSync(SHOTS, { recursive: true });
    await ff.screenshot(`${SHOTS}firefox-grid-scan.png`);
  });

  it('shows a validation error next to its field, then runs a count', async () => {
    await ff.eval(`__t.choose('[data-testid=plan-select]', 'count')`);
    await ff.until(`__t.q('[data-field=num] input')`);
    await ff.eval(`__t.tick(['det'])`);
    await ff.eval(`__t.type('[data-field=num] input', '-1')`);
    await ff.until(`__t.q('[data-testid=error-num]')?.textContent.includes('num')`);
    await ff.eval(`__t.type('[data-field=num] input', '7')`);
    await ff.until(`__t.q('[data-testid=error-num]') === null`);
    await ff.eval(`__t.q('button[data-action=start]').click()`);
    await ff.until(`__t.points() === 7 && __t.q('[data-testid=state]').textContent === 'idle'`);
    await ff.screenshot(`${SHOTS}firefox-count.png`);
  });
});
