/**
 * Device capability interfaces (bluesky.protocols), one or two verbs each, with
 * a type guard beside each. The engine checks capabilities through the guards,
 * as bluesky's `check_supports` does. Readings and data keys keep the
 * event-model's snake_case field names because they go into documents.
 * @module
 */
import type { Status } from './status.js';

/** Maybe a promise: device methods may be sync or async. */
export type Awaitable<T> = T | Promise<T>;

/** One reading: `{value, timestamp}` (+ optional alarm fields). */
export interface Reading {
  value: unknown;
  timestamp: number;
  alarm_severity?: number;
  message?: string;
}

/** Describes one data key of a device (event-model DataKey). */
export interface DataKey {
  dtype: 'string' | 'number' | 'array' | 'boolean' | 'integer';
  shape: Array<number | null>;
  source: string;
  external?: string;
  dtype_numpy?: string;
  units?: string | null;
  precision?: number | null;
  limits?: Record<string, unknown>;
  choices?: string[];
  object_name?: string;
  [extra: string]: unknown;
}

export interface HasName { readonly name: string }
/** `parent` is null for top-level devices. */
export interface HasParent { readonly parent: HasParent | null }
export interface HasHints extends HasName { readonly hints: { fields?: string[]; [k: string]: unknown } }

/** read() → `{key: Reading}`, describe() → `{key: DataKey}`. */
export interface Readable extends HasName {
  read(): Awaitable<Record<string, Reading>>;
  describe(): Awaitable<Record<string, DataKey>>;
}
export interface Configurable {
  readConfiguration(): Awaitable<Record<string, Reading>>;
  describeConfiguration(): Awaitable<Record<string, DataKey>>;
}
export interface Triggerable { trigger(): Status }
export interface Movable<T = unknown> { set(value: T, options?: Record<string, unknown>): Status }
export interface Location<T = unknown> { setpoint: T; readback: T }
export interface Locatable<T = unknown> extends Movable<T> { locate(): Awaitable<Location<T>> }
/** Stageable only if it has both stage and unstage (bluesky test_need_both_stage_and_unstage_for_stagable). */
export interface Stageable { stage(): Status | unknown[]; unstage(): Status | unknown[] }
export interface Stoppable { stop(options?: { success?: boolean }): Awaitable<void> }
export interface Pausable { pause(): Awaitable<void>; resume(): Awaitable<void> }
/** Values pushed to `cb` (readings dict or a value); returns nothing. */
export interface Subscribable extends HasName {
  subscribe(cb: (value: unknown) => void): void;
  clearSub(cb: (value: unknown) => void): void;
}
export interface Flyable extends HasName { kickoff(): Status; complete(): Status }
export interface Preparable { prepare(value: unknown): Status }
export type DescribeCollect = Record<string, DataKey> | Record<string, Record<string, DataKey>>;
export interface Collectable extends HasName { describeCollect(): Awaitable<DescribeCollect> }
export interface PartialEvent { data: Record<string, unknown>; timestamps: Record<string, number>; time?: number; filled?: Record<string, boolean | string> }
export interface EventCollectable extends Collectable { collect(): Iterable<PartialEvent> | AsyncIterable<PartialEvent> }
export interface PartialEventPage { data: Record<string, unknown[]>; timestamps: Record<string, number[]>; time?: number[]; filled?: Record<string, Array<boolean | string>> }
export interface EventPageCollectable extends Collectable { collectPages(): Iterable<PartialEventPage> | AsyncIterable<PartialEventPage> }
export type AssetDoc = readonly [name: 'resource' | 'datum' | 'stream_resource' | 'stream_datum', doc: Record<string, unknown>];
export interface WritesExternalAssets { collectAssetDocs(index?: number): Iterable<AssetDoc> | AsyncIterable<AssetDoc> }
export interface WritesStreamAssets extends WritesExternalAssets { getIndex(): Awaitable<number> }

const fn = (x: unknown, key: string): boolean =>
  typeof x === 'object' && x !== null && typeof (x as Record<string, unknown>)[key] === 'function';
const has = (x: unknown, key: string): boolean => typeof x === 'object' && x !== null && key in x;

export const isReadable = (x: unknown): x is Readable => has(x, 'name') && fn(x, 'read') && fn(x, 'describe');
export const isConfigurable = (x: unknown): x is Configurable => fn(x, 'readConfiguration') && fn(x, 'describeConfiguration');
export const isTriggerable = (x: unknown): x is Triggerable => fn(x, 'trigger');
export const isMovable = (x: unknown): x is Movable => fn(x, 'set');
export const isLocatable = (x: unknown): x is Locatable => fn(x, 'set') && fn(x, 'locate');
export const isStageable = (x: unknown): x is Stageable => fn(x, 'stage') && fn(x, 'unstage');
export const isStoppable = (x: unknown): x is Stoppable => fn(x, 'stop');
export const isPausable = (x: unknown): x is Pausable => fn(x, 'pause') && fn(x, 'resume');
export const isSubscribable = (x: unknown): x is Subscribable => has(x, 'name') && fn(x, 'subscribe') && fn(x, 'clearSub');
export const isFlyable = (x: unknown): x is Flyable => has(x, 'name') && fn(x, 'kickoff') && fn(x, 'complete');
export const isPreparable = (x: unknown): x is Preparable => fn(x, 'prepare');
export const isCollectable = (x: unknown): x is Collectable => has(x, 'name') && fn(x, 'describeCollect');
export const isEventCollectable = (x: unknown): x is EventCollectable => isCollectable(x) && fn(x, 'collect');
export const isEventPageCollectable = (x: unknown): x is EventPageCollectable => isCollectable(x) && fn(x, 'collectPages');
export const isWritesExternalAssets = (x: unknown): x is WritesExternalAssets => fn(x, 'collectAssetDocs');
export const isWritesStreamAssets = (x: unknown): x is WritesStreamAssets => fn(x, 'collectAssetDocs') && fn(x, 'getIndex');
export const hasHints = (x: unknown): x is HasHints => has(x, 'name') && has(x, 'hints') &&
  typeof (x as { hints: unknown }).hints === 'object' && (x as { hints: unknown }).hints !== null;
export const hasParent = (x: unknown): x is HasParent => has(x, 'parent');

/** The device's name, or a readable fallback for messages. */
export function nameOf(x: unknown): string {
  if (has(x, 'name')) return String((x as HasName).name);
  return x === null || x === undefined ? 'None' : String(x);
}
