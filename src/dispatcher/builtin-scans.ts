/**
 * The scans `serve` registers: the standard plans by bluesky name (params as the
 * plans registry takes them) and the seed's `simulated` example scan.
 * @module
 */
import { type PlanLimits, count, standardPlans } from '../plans/index.js';
import type { Readable } from '../model/protocols.js';
import type { JsonSchema, PlanFactory, ScanContext, ScanFunction } from './types.js';
import type { ScanOptions } from './scan-registry.js';

/** What registering needs: the `addPlan`/`addScan` half of a plans module's `dispatcher`. */
interface Registrar {
  addPlan(name: string, factory: PlanFactory, schema: JsonSchema, options?: ScanOptions): void;
  addScan(name: string, fn: ScanFunction, params?: JsonSchema | null, options?: ScanOptions): void;
}

/** The standard plans `serve` offers. */
export const SERVED_PLANS = ['count', 'scan', 'rel_scan', 'list_scan', 'grid_scan'] as const;

/**
 * Register each standard plan (or those named) under its bluesky name, with
 * `limits` (default: `maxPoints` 10,000,000) in its schema and checks.
 * @throws RangeError for a limit that is not a whole number >= 1
 */
export function registerStandardPlans(d: Registrar, names: readonly string[] = SERVED_PLANS, limits: Partial<PlanLimits> = {}): void {
  const plans = standardPlans(limits);
  for (const name of names) {
    const plan = plans.find((p) => p.name === name);
    if (plan === undefined) throw new Error(`no standard plan named "${name}"`);
    // The registry's schema interface has no index signature; it is plain JSON Schema all the same.
    d.addPlan(name, (params, devices) => plan.build(params, devices), plan.params as JsonSchema, {
      description: plan.description,
      validate: (params, devices) => plan.validate(params, devices),
    });
  }
}

/** Parameters of `simulated`: the seed's two example parameters plus how long to wait. */
export const SIMULATED_PARAMS: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    example_param_1: { default: null, description: 'Any value; only echoed (the seed example).' },
    example_param_2: { default: null, description: 'Any value; only echoed (the seed example).' },
    duration: { type: 'number', minimum: 0, default: 10, description: 'Seconds spent in the artificial "running" state.' },
  },
};

/**
 * The seed's example scan: count det1 and det2 once, then announce an
 * artificial "running", wait `duration` seconds, and announce "idle".
 * `wait` replaces the sleep (tests hold the scan at a gate instead of a clock).
 */
export function makeSimulatedScan(wait?: (seconds: number, ctx: ScanContext) => Promise<void>): ScanFunction {
  return async (re, stateHook, params, ctx) => {
    const detectors = ['det1', 'det2'].map((name) => {
      const dev = ctx.devices.get(name);
      if (dev === undefined) throw new Error(`the simulated scan needs a device named "${name}"`);
      return dev as Readable;
    });
    await re.run(count(detectors));
    stateHook('running', 'idle');
    try {
      const seconds = typeof params.duration === 'number' ? params.duration : 10;
      await (wait === undefined ? ctx.sleep(seconds) : wait(seconds, ctx));
    } finally {
      stateHook('idle', 'running');
    }
  };
}

/** The seed's `simulated` scan with a real sleep. */
export const simulatedScan: ScanFunction = makeSimulatedScan();

/** Register `simulated` (the seed's example). */
export function registerSimulated(d: Registrar, name = 'simulated', fn: ScanFunction = simulatedScan): void {
  d.addScan(name, fn, SIMULATED_PARAMS, { description: 'The seed example: count det1 and det2, then an artificial running state for `duration` s.' });
}
