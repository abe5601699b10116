/**
 * A readable table of events as they arrive (like bluesky's LiveTable):
 * a header per descriptor, one row per event, a summary at the stop.
 * @module
 */
import type { DocumentMap, DocumentName, EventDescriptor, Event } from '../model/documents.js';

export class LiveTable {
  readonly #write: (line: string) => void;
  readonly #descriptors = new Map<string, { doc: EventDescriptor; columns: string[] }>();

  constructor(write: (line: string) => void) { this.#write = write; }

  /** A document callback. */
  readonly callback = (name: DocumentName, doc: DocumentMap[DocumentName]): void => {
    if (name === 'start') {
      const d = doc as DocumentMap['start'];
      this.#write(`Transient Scan ID: ${String(d.scan_id)}     Time: ${new Date(d.time * 1000).toISOString()}`);
      this.#write(`Persistent Unique Scan ID: '${d.uid}'`);
    } else if (name === 'descriptor') {
      const d = doc as EventDescriptor;
      if (d.name === 'interruptions') return;
      const columns = Object.keys(d.data_keys).filter((k) => (d.data_keys[k]?.shape.length ?? 0) === 0);
      this.#descriptors.set(d.uid, { doc: d, columns });
      const header = ['seq_num', 'time', ...columns].map((c) => cell(c)).join(' | ');
      this.#write(`+${'-'.repeat(header.length + 2)}+`);
      this.#write(`| ${header} |`);
      this.#write(`+${'-'.repeat(header.length + 2)}+`);
    } else if (name === 'event') {
      const e = doc as Event;
      const d = this.#descriptors.get(e.descriptor);
      if (d === undefined) return;
      const time = new Date(e.time * 1000).toISOString().slice(11, 23);
      const row = [String(e.seq_num), time, ...d.columns.map((c) => format(e.data[c]))].map((c) => cell(c)).join(' | ');
      this.#write(`| ${row} |`);
    } else if (name === 'stop') {
      const d = doc as DocumentMap['stop'];
      const reason = d.reason ? ` (${d.reason})` : '';
      this.#write(`generator ${d.exit_status}${reason}; events: ${JSON.stringify(d.num_events)}`);
    }
  };
}

function cell(s: string): string { return s.length >= 12 ? s : s.padStart(12); }

function format(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(4);
  return String(v);
}
