/**
 * Limits on what a plan started by name may ask for, so that one request can
 * never exhaust the server: checked by the parameter validator before anything
 * runs, in time independent of the numbers asked for. See docs/limits.md.
 * @module
 */

/** Default of `serve --max-points`: the most points (events) one standard plan may take. */
export const DEFAULT_MAX_POINTS = 10_000_000;

/** Most motors (axes) in one scan's `args`. */
export const MAX_AXES = 100;

/** Most devices in one `detectors` list. */
export const MAX_DETECTORS = 1000;

/** Limits of the standard plans started by name. */
export interface PlanLimits {
  /**
   * Most points one plan may take: `count`'s `num`, a scan's `num`, a list's
   * length, a grid's product of `num`s, the number of `delay` entries.
   */
  readonly maxPoints: number;
}

/** The limits `serve` uses unless told otherwise. */
export const DEFAULT_PLAN_LIMITS: PlanLimits = Object.freeze({ maxPoints: DEFAULT_MAX_POINTS });

/** How an error names the points limit. */
export const MAX_POINTS_NAME = "the server's --max-points limit";

/**
 * `limits` with defaults filled in.
 * @throws RangeError when `maxPoints` is not a whole number >= 1
 */
export function planLimits(limits: Partial<PlanLimits> = {}): PlanLimits {
  const maxPoints = limits.maxPoints ?? DEFAULT_MAX_POINTS;
  if (!Number.isSafeInteger(maxPoints) || maxPoints < 1) throw new RangeError(`max points must be a whole number >= 1, got ${String(maxPoints)}`);
  return { maxPoints };
}
