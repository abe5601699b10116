/**
 * A run's progress, counted from its own documents: points received against
 * the start document's `num_points`, an ETA from the engine's event times, and
 * how it ended once its stop document is in. So the bar can never outlive the
 * run it belongs to. Pure: unit-tested in Node.
 * @module
 */
import type { LiveRun } from './live-run.js';

export interface Progress {
  /** Distinct points of the primary stream received. */
  done: number;
  /** The start document's `num_points` (null: unknown, e.g. count until stopped). */
  total: number | null;
  /** done / total, 0..1 (null without a total). */
  fraction: number | null;
  /** Seconds left at the rate so far (null when ended, unknown or not started). */
  etaS: number | null;
  /** The stop document's exit status once the run is over, else null. */
  ended: string | null;
}

/** The progress of `run` (null: no run). */
export function progressOf(run: LiveRun | null): Progress | null {
  if (run === null) return null;
  const done = run.events;
  const total = run.numPoints !== null && run.numPoints > 0 ? run.numPoints : null;
  const ended = run.exitStatus;
  const fraction = total === null ? null : ended === 'success' && done >= total ? 1 : Math.min(1, done / total);
  let etaS: number | null = null;
  const elapsed = run.lastEventTime - run.startTime;
  if (ended === null && total !== null && done > 0 && elapsed > 0 && Number.isFinite(elapsed)) {
    etaS = Math.max(0, (elapsed / done) * (total - done));
  }
  return { done, total, fraction, etaS, ended };
}
