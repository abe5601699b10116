/**
 * An example `--plans` module: `bluesky-dispatcher serve --plans examples/user-plans.ts`.
 * It must export `register(dispatcher)`; add scans there. It runs in the engine's
 * worker thread and imports from `bluesky-dispatcher` as your own plans would
 * (the server points those imports at the copy that is running).
 */
import type { Readable } from 'bluesky-dispatcher';
import type { PlanRegistrar, ScanFunction } from 'bluesky-dispatcher/dispatcher';
import { count, scan } from 'bluesky-dispatcher/plans';

/** A seed-shaped scan: count a detector `repeats` times, one run each, announcing "running" in between. */
const repeatedCount: ScanFunction = async (re, stateHook, params, ctx) => {
  const det = ctx.devices.get(String(params.detector)) as Readable;
  for (let i = 0; i < Number(params.repeats); i++) {
    await re.run(count([det], { num: Number(params.num) }));
    if (i + 1 < Number(params.repeats)) {
      stateHook('running', 'idle'); // keep GUIs showing "busy" between runs, as the seed's example does
      await ctx.sleep(Number(params.pause));
      stateHook('idle', 'running');
    }
  }
};

export function register(dispatcher: PlanRegistrar): void {
  dispatcher.addScan('repeated_count', repeatedCount, {
    type: 'object',
    additionalProperties: false,
    properties: {
      detector: { type: 'string', 'x-device': true, default: 'det1' },
      num: { type: 'integer', minimum: 1, default: 3 },
      repeats: { type: 'integer', minimum: 1, default: 2 },
      pause: { type: 'number', minimum: 0, default: 0.5 },
    },
  }, { description: 'count a detector several times, pausing between runs' });

  // The short form: a plan factory and its parameter schema.
  dispatcher.addPlan('motor_sweep', (p, devices) => scan([devices.get('det') as Readable], [devices.get('motor'), -Number(p.width), Number(p.width)], { num: Number(p.num) }), {
    type: 'object',
    additionalProperties: false,
    properties: {
      width: { type: 'number', exclusiveMinimum: 0, default: 1 },
      num: { type: 'integer', minimum: 2, default: 5 },
    },
  }, { description: 'scan motor from -width to +width, reading det' });
}
