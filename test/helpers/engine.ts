/**
 * The engine host the protocol tests' servers use: the worker (as `serve` runs
 * by default) with the standard plans, the simulated devices and the test plans
 * module. `BLUESKY_TEST_ENGINE=inprocess` runs the same suites in process.
 * @module
 */
import { fileURLToPath } from 'node:url';
import { type EngineHost, type EngineKind, createEngineHost } from '../../src/host/index.js';

export const TEST_PLANS = fileURLToPath(new URL('../fixtures/test-plans.ts', import.meta.url));

export function testEngineKind(): EngineKind {
  return process.env.BLUESKY_TEST_ENGINE === 'inprocess' ? 'inprocess' : 'worker';
}

export function testEngine(kind: EngineKind = testEngineKind(), extra: { graceSeconds?: number; maxMemoryMb?: number } = {}): EngineHost {
  return createEngineHost({ kind, simulatedDevices: true, standardPlans: true, plans: [TEST_PLANS], ...extra });
}
