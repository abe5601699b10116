/**
 * The README's "Writing a plan" example: a hand-written step scan that pauses
 * itself when the detector sees a peak.
 */
import { msg, type Plan } from '../src/model/index.js';
import type { Movable, Readable } from '../src/model/index.js';
import { checkpoint, mv, runWrapper, triggerAndRead } from '../src/plans/index.js';

export function* myScan(det: Readable, motor: Movable & Readable, points: number[], threshold = 2): Plan<string> {
  return yield* runWrapper((function* body(): Plan {
    for (const x of points) {
      yield* checkpoint();
      yield* mv(motor, x);
      const reading = yield* triggerAndRead([det, motor]);
      if ((reading[det.name]?.value as number) > threshold) yield msg('pause');
    }
    return undefined;
  })(), { md: { plan_name: 'my_scan', purpose: 'demo' } });
}
