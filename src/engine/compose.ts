/**
 * Pure composers for event-model documents (event-model's compose_run and
 * friends): key order as bluesky emits them, validation of the event/descriptor
 * key contract. No devices, no emission.
 * @module
 */
import type { Configuration, Event, EventDescriptor, EventPage, ExitStatus, RunStart, RunStop } from '../model/documents.js';
import { DocumentValidationError } from '../model/errors.js';
import type { DataKey } from '../model/protocols.js';

export function composeStart(uid: string, time: number, metadata: Record<string, unknown>): RunStart {
  for (const key of ['uid', 'time']) {
    if (Object.hasOwn(metadata, key)) {
      throw new DocumentValidationError(`metadata may not contain '${key}': the RunEngine sets it (got ${key}=${JSON.stringify(metadata[key])})`, [{ path: `/${key}`, expected: 'no such key', got: JSON.stringify(metadata[key]) }]);
    }
  }
  return { uid, time, ...metadata };
}

export interface DescriptorParts {
  name: string;
  dataKeys: Record<string, DataKey>;
  objectKeys: Record<string, string[]>;
  configuration: Record<string, Configuration | Record<string, never>>;
  hints: Record<string, unknown>;
}

export function composeDescriptor(uid: string, time: number, runStart: string, p: DescriptorParts): EventDescriptor {
  const doc: EventDescriptor = {
    configuration: p.configuration, data_keys: p.dataKeys, name: p.name, object_keys: p.objectKeys,
    run_start: runStart, time, uid, object_classes: {}, hints: p.hints,
  };
  return doc;
}

/** Check an event's data/timestamps keys against its descriptor (event-model's compose_event checks). */
export function checkEventKeys(descriptor: EventDescriptor, data: Record<string, unknown>, timestamps: Record<string, unknown>, filled: Record<string, unknown>): void {
  const expected = Object.keys(descriptor.data_keys).filter((k) => descriptor.data_keys[k]?.external !== 'STREAM:');
  const same = (keys: string[]): boolean => keys.length === expected.length && keys.every((k) => Object.hasOwn(descriptor.data_keys, k));
  const dataKeys = Object.keys(data);
  if (!same(dataKeys)) {
    throw new DocumentValidationError(`Keys in event['data'] ${JSON.stringify(dataKeys)} must match descriptor['data_keys'] ${JSON.stringify(expected)} of stream '${descriptor.name}'`);
  }
  if (!same(Object.keys(timestamps))) {
    throw new DocumentValidationError(`Keys in event['timestamps'] ${JSON.stringify(Object.keys(timestamps))} must match descriptor['data_keys'] ${JSON.stringify(expected)}`);
  }
  for (const k of Object.keys(filled)) {
    if (!Object.hasOwn(data, k)) throw new DocumentValidationError(`Keys in event['filled'] must be a subset of event['data']; '${k}' is not in data`);
  }
}

export function composeEvent(uid: string, time: number, descriptor: string, seqNum: number,
  data: Record<string, unknown>, timestamps: Record<string, number>, filled: Record<string, boolean | string>): Event {
  return { uid, time, data, timestamps, seq_num: seqNum, filled, descriptor };
}

export function composeEventPage(events: readonly Event[]): EventPage {
  const first = events[0];
  if (first === undefined) throw new DocumentValidationError('an event page needs at least one event');
  const columns = <T>(pick: (e: Event) => Record<string, T>): Record<string, T[]> => {
    const out: Record<string, T[]> = {};
    for (const key of Object.keys(pick(first))) out[key] = events.map((e) => pick(e)[key] as T);
    return out;
  };
  return {
    uid: events.map((e) => e.uid), time: events.map((e) => e.time), descriptor: first.descriptor,
    seq_num: events.map((e) => e.seq_num), data: columns((e) => e.data), timestamps: columns((e) => e.timestamps),
    filled: columns((e) => e.filled),
  };
}

export function composeStop(uid: string, time: number, runStart: string, exitStatus: ExitStatus, reason: string, numEvents: Record<string, number>): RunStop {
  return { uid, time, run_start: runStart, exit_status: exitStatus, reason, num_events: numEvents };
}

/** Readings `{k: {value, timestamp}}` → parallel `data`/`timestamps` dicts. */
export function splitReadings(readings: Record<string, { value: unknown; timestamp: number }>): { data: Record<string, unknown>; timestamps: Record<string, number> } {
  const data: Record<string, unknown> = {};
  const timestamps: Record<string, number> = {};
  for (const key in readings) {
    const r = readings[key] as { value: unknown; timestamp: number };
    data[key] = r.value;
    timestamps[key] = r.timestamp;
  }
  return { data, timestamps };
}
