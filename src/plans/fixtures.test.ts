/**
 * Shared fakes for the plan tests (contains no tests itself): ophyd.sim-like
 * detectors and motors, a tiny synchronous plan driver standing in for the
 * engine, and normalisation of messages to the recorded `*.msgs.jsonl` form.
 * @module
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Msg, Plan } from '../model/msg.js';
import type { DataKey, Location, Reading } from '../model/protocols.js';
import { type Status, completedStatus, isStatus } from '../model/status.js';

const SYN_GAUSS_ATTRS = "read_attrs=['val'], configuration_attrs=['Imax', 'center', 'sigma', 'noise', 'noise_multiplier']";
const SYN_AXIS_ATTRS = "read_attrs=['readback', 'setpoint'], configuration_attrs=['velocity', 'acceleration']";

/** A detector like ophyd.sim's SynGauss: triggerable, readable, old-style stage (returns a list). */
export class FakeDetector {
  readonly name: string;
  readonly parent: unknown;
  readonly hints: { fields: string[] };
  value: number;
  readonly cls: string;
  constructor(name: string, options: { value?: number; parent?: unknown; cls?: string } = {}) {
    this.name = name;
    this.parent = options.parent ?? null;
    this.hints = { fields: [name] };
    this.value = options.value ?? 1;
    this.cls = options.cls ?? 'SynGauss';
  }
  repr(): string { return `${this.cls}(prefix='', name='${this.name}', ${SYN_GAUSS_ATTRS})`; }
  trigger(): Status { return completedStatus(this.name); }
  read(): Record<string, Reading> { return { [this.name]: { value: this.value, timestamp: 0 } }; }
  describe(): Record<string, DataKey> { return { [this.name]: { dtype: 'number', shape: [], source: `SIM:${this.name}` } }; }
  stage(): unknown[] { return [this]; }
  unstage(): unknown[] { return [this]; }
}

/** A motor like ophyd.sim's SynAxis: movable, triggerable, readable, with a `position` attribute. */
export class FakeMotor {
  readonly name: string;
  readonly parent: unknown = null;
  readonly hints: { fields: string[] };
  position: number;
  constructor(name: string, position = 0) {
    this.name = name;
    this.hints = { fields: [name] };
    this.position = position;
  }
  repr(): string { return `SynAxis(prefix='', name='${this.name}', ${SYN_AXIS_ATTRS})`; }
  set(value: unknown): Status { this.position = Number(value); return completedStatus(this.name); }
  trigger(): Status { return completedStatus(this.name); }
  read(): Record<string, Reading> {
    return { [this.name]: { value: this.position, timestamp: 0 }, [`${this.name}_setpoint`]: { value: this.position, timestamp: 0 } };
  }
  describe(): Record<string, DataKey> { return { [this.name]: { dtype: 'number', shape: [], source: 'SIM' } }; }
  stage(): unknown[] { return [this]; }
  unstage(): unknown[] { return [this]; }
}

/** A motor without `position` (read to learn where it is) and, optionally, Locatable. */
export class PlainMotor {
  readonly name: string;
  readonly parent: unknown = null;
  readonly hints: { fields: string[] };
  value: number;
  constructor(name: string, value = 0) { this.name = name; this.hints = { fields: [name] }; this.value = value; }
  set(value: unknown): Status { this.value = Number(value); return completedStatus(this.name); }
  read(): Record<string, Reading> { return { [this.name]: { value: this.value, timestamp: 0 } }; }
  describe(): Record<string, DataKey> { return { [this.name]: { dtype: 'number', shape: [], source: 'SIM' } }; }
}

export class LocatableMotor extends PlainMotor {
  locate(): Location<number> { return { setpoint: this.value, readback: this.value + 0.1 }; }
}

/** A new-style stageable device: stage()/unstage() return a Status. */
export class NewStyleDevice {
  readonly name: string;
  readonly parent: unknown = null;
  constructor(name: string) { this.name = name; }
  stage(): Status { return completedStatus(this.name); }
  unstage(): Status { return completedStatus(this.name); }
}

/** The engine's reply to a message, as the real handlers would give it. */
export function defaultReply(m: Msg): unknown {
  const obj = m.obj as Record<string, (...a: unknown[]) => unknown> | null;
  switch (m.command) {
    case 'set': return obj?.['set']?.call(obj, m.args[0]);
    case 'trigger': return obj?.['trigger']?.call(obj) ?? completedStatus();
    case 'read': return obj?.['read']?.call(obj);
    case 'locate': return obj?.['locate']?.call(obj);
    case 'stage': case 'unstage': return obj?.[m.command]?.call(obj);
    case 'open_run': case 'close_run': return 'run-uid-1';
    case 'wait': return true;
    case 'rewindable': return true;
    case 'subscribe': return 7;
    default: return undefined;
  }
}

/**
 * Drive a plan to its end like the engine: reply to each message; an error
 * thrown by `reply` is thrown into the plan. Messages are appended to `msgs`.
 */
export function drive<R>(plan: Plan<R>, reply: (m: Msg) => unknown = defaultReply, msgs: Msg[] = []): { msgs: Msg[]; result: R } {
  let r = plan.next();
  while (r.done !== true) {
    const m = r.value;
    msgs.push(m);
    let response: unknown;
    try {
      response = reply(m);
    } catch (e) {
      r = plan.throw(e);
      continue;
    }
    r = plan.next(response);
  }
  return { msgs, result: r.value };
}

/** Drive a plan that must fail; returns the messages and the error. */
export function driveToError(plan: Plan<unknown>, reply: (m: Msg) => unknown = defaultReply): { msgs: Msg[]; error: unknown } {
  const msgs: Msg[] = [];
  try {
    drive(plan, reply, msgs);
  } catch (e) {
    return { msgs, error: e };
  }
  return assert.fail('the plan did not fail');
}

/** Python's `list(plan)`: drive with no replies (every reply undefined). */
export function listify(plan: Plan<unknown>): Msg[] {
  return drive(plan, () => undefined).msgs;
}

function isDevice(x: unknown): x is { name: string } {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && 'name' in x && typeof (x as { name: unknown }).name === 'string';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const SHORT = /^([a-z-]+)-[0-9a-f]{6}$/;

function normalizeGroup(x: unknown): unknown {
  if (typeof x !== 'string') return x;
  if (UUID.test(x)) return '<uuid4>';
  return x.replace(SHORT, '$1-<6hex>');
}

/** A message as the recordings write it: devices by name, random group ids replaced by placeholders. */
export interface RecordedMsg { command: string; obj: unknown; args: unknown[]; kwargs: Record<string, unknown>; run: unknown }

export function normalize(m: { command: string; obj: unknown; args: readonly unknown[]; kwargs: Readonly<Record<string, unknown>>; run: unknown }): RecordedMsg {
  const kwargs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m.kwargs)) kwargs[k] = k === 'group' ? normalizeGroup(v) : v;
  const plain = {
    command: m.command,
    obj: isDevice(m.obj) ? m.obj.name : m.obj,
    args: m.args.map((a) => (isDevice(a) ? { __device__: a.name } : a)),
    kwargs,
    run: m.run,
  };
  return JSON.parse(JSON.stringify(plain)) as RecordedMsg;
}

/** The recorded messages of `<plan>.msgs.jsonl`, normalised. */
export function recorded(plan: string): RecordedMsg[] {
  const url = new URL(`../../test/fixtures/python-reference/docs/${plan}.msgs.jsonl`, import.meta.url);
  return readFileSync(url, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => normalize(JSON.parse(l) as RecordedMsg));
}

/** Status guard re-export for tests. */
export { isStatus };
