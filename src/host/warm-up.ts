/**
 * The engine thread's warm-up. V8 first runs a function in its interpreter and
 * compiles it optimised only once it has run often enough: the first runs of a
 * fresh process cost several times later ones (bench group `firstrun`: about
 * 100 ms more for a 1,000-event count, with nothing left to load or compile
 * but the JIT's own work). Right after start-up, while no plan runs, the worker
 * compiles every plan's parameter validator (Ajv, on a plan's first check:
 * tens of ms each, one a turn), then runs a count and a scan of its own on private
 * simulated devices with a private RunEngine whose documents go nowhere (they are serialised, as the
 * worker's posting does, and dropped), so the code every plan runs through —
 * the engine loop, the message commands, the document bundling, the plan
 * stubs, the preprocessors — is optimised before the first real plan.
 * A request that arrives meanwhile ends it at once (halt): it only ever uses
 * idle time, and nothing of it is seen outside the thread.
 * @module
 */
import { setImmediate as turn } from 'node:timers/promises';
import { hw } from '../devices/index.js';
import { RunEngine } from '../engine/index.js';
import { count, scan } from '../plans/index.js';

/** Events per warm-up plan: past the point where a count's per-event time stops falling (bench/first-run.ts). */
const EVENTS = 3000;

export interface WarmUp {
  /** End it now (a real request arrived); idempotent. */
  stop(): void;
}

/**
 * `prime`: one-time work of the room's own (compiling each plan's parameter validator: tens of ms
 * each), done first, one step a turn, so a request that comes meanwhile waits for one step at most.
 */
export function warmUp(prime: Iterable<() => void> = []): WarmUp {
  let stopped = false;
  let re: RunEngine | null = null;
  const run = async (): Promise<void> => {
    for (const step of prime) {
      if (stopped) return;
      step();
      await turn(); // a request that came meanwhile goes first
    }
    await turn();
    if (stopped) return;
    const devices = hw();
    const engine = new RunEngine();
    re = engine;
    engine.subscribe((name, doc) => { JSON.stringify([name, doc]); });
    for (const plan of [() => count([devices.det], { num: EVENTS }), () => scan([devices.det], [devices.motor, -1, 1], { num: EVENTS })]) {
      if (stopped) return;
      await engine.run(plan());
    }
  };
  // The private engine and devices are let go once it has ended (done or stopped).
  void run().catch(() => undefined).finally(() => { re = null; });
  return {
    stop: () => {
      if (stopped) return;
      stopped = true;
      const engine = re as RunEngine | null;
      if (engine !== null && engine.state !== 'idle') void engine.halt().catch(() => undefined);
    },
  };
}
