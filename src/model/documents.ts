/**
 * Event-model document shapes (event-model 1.24), with the wire's snake_case
 * field names. Hand-written from the JSON schemas in ./schemas; the schemas stay
 * the authority (see validate.ts).
 * @module
 */
import type { DataKey } from './protocols.js';

export type ExitStatus = 'success' | 'abort' | 'fail';

export interface RunStart {
  uid: string;
  time: number;
  scan_id?: number;
  plan_name?: string;
  plan_type?: string;
  [key: string]: unknown;
}

export interface Configuration {
  data: Record<string, unknown>;
  timestamps: Record<string, number>;
  data_keys: Record<string, DataKey>;
}

export interface EventDescriptor {
  uid: string;
  time: number;
  run_start: string;
  name: string;
  data_keys: Record<string, DataKey>;
  object_keys: Record<string, string[]>;
  configuration: Record<string, Configuration | Record<string, never>>;
  hints: Record<string, unknown>;
  object_classes?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface Event {
  uid: string;
  time: number;
  descriptor: string;
  seq_num: number;
  data: Record<string, unknown>;
  timestamps: Record<string, number>;
  filled: Record<string, boolean | string>;
}

export interface EventPage {
  uid: string[];
  time: number[];
  descriptor: string;
  seq_num: number[];
  data: Record<string, unknown[]>;
  timestamps: Record<string, number[]>;
  filled: Record<string, Array<boolean | string>>;
}

export interface RunStop {
  uid: string;
  time: number;
  run_start: string;
  exit_status: ExitStatus;
  reason: string;
  num_events: Record<string, number>;
  [key: string]: unknown;
}

export interface Resource {
  uid: string;
  spec: string;
  root: string;
  resource_path: string;
  resource_kwargs: Record<string, unknown>;
  path_semantics?: 'posix' | 'windows';
  run_start?: string;
}

export interface Datum { datum_id: string; resource: string; datum_kwargs: Record<string, unknown> }

export interface StreamResource {
  uid: string; data_key: string; mimetype: string; uri: string;
  parameters: Record<string, unknown>; run_start?: string;
}

export interface StreamDatum {
  uid: string; descriptor: string; stream_resource: string;
  indices: { start: number; stop: number }; seq_nums: { start: number; stop: number };
}

/** Document name → document type. */
export interface DocumentMap {
  start: RunStart;
  descriptor: EventDescriptor;
  event: Event;
  event_page: EventPage;
  stop: RunStop;
  resource: Resource;
  datum: Datum;
  datum_page: Record<string, unknown>;
  stream_resource: StreamResource;
  stream_datum: StreamDatum;
  bulk_events: Record<string, unknown>;
  bulk_datum: Record<string, unknown>;
}

export type DocumentName = keyof DocumentMap;

/** The twelve document names a callback may subscribe to (bluesky DocumentNames). */
export const DOCUMENT_NAMES: readonly DocumentName[] = [
  'start', 'descriptor', 'event', 'event_page', 'stop', 'resource', 'datum', 'datum_page',
  'stream_resource', 'stream_datum', 'bulk_events', 'bulk_datum',
];

/** A `[name, doc]` pair, as callbacks receive and suitcase-jsonl writes. */
export type NamedDocument = { [K in DocumentName]: [K, DocumentMap[K]] }[DocumentName];

/** A document callback: `(name, doc)`. */
export type DocumentCallback = (name: DocumentName, doc: DocumentMap[DocumentName]) => void;
