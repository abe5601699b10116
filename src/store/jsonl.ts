/**
 * suitcase-jsonl import: parse `[name, doc]` lines, validate each document
 * against the event-model schemas, and turn whole runs into one write batch.
 * @module
 */
import { DOCUMENT_NAMES, type DocumentName } from '../model/documents.js';
import type { ErrorDetail } from '../model/errors.js';
import { documentErrors } from '../model/validate.js';
import type { WriteBatch } from './backend.js';
import { StoreError } from './errors.js';
import { INTERRUPTED_REASON } from './recovery.js';
import { RunTracker } from './tracker.js';
import type { AnyDocument } from './types.js';

export interface JsonlEntry { readonly line: number; readonly name: DocumentName; readonly doc: AnyDocument }

const NAMES = new Set<string>(DOCUMENT_NAMES);
const MAX_REPORTED = 20;

function parseLine(text: string, line: number, errors: ErrorDetail[]): JsonlEntry | null {
  let value: unknown;
  try { value = JSON.parse(text); } catch (e) {
    errors.push({ path: `line ${line}`, message: `not JSON: ${e instanceof Error ? e.message : String(e)}` });
    return null;
  }
  if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== 'string' || !NAMES.has(value[0])) {
    errors.push({ path: `line ${line}`, message: 'expected a [name, doc] array with a document name such as "start"' });
    return null;
  }
  const name = value[0] as DocumentName;
  const problems = documentErrors(name, value[1]);
  for (const p of problems) errors.push({ path: `line ${line} ${name}${p.path}`, message: p.message });
  return problems.length === 0 ? { line, name, doc: value[1] as AnyDocument } : null;
}

/** Parse and validate every line (blank lines skipped); throws STORE_IMPORT_INVALID listing the problems. */
export function parseJsonl(lines: Iterable<string>): JsonlEntry[] {
  const entries: JsonlEntry[] = [];
  const errors: ErrorDetail[] = [];
  let line = 0;
  for (const raw of lines) {
    line++;
    const text = raw.trim();
    if (text === '') continue;
    const entry = parseLine(text, line, errors);
    if (entry !== null) entries.push(entry);
  }
  if (errors.length > 0) {
    const shown = errors.slice(0, 3).map((e) => `${e.path}: ${e.message}`).join('; ');
    const more = errors.length > 3 ? ` (and ${errors.length - 3} more)` : '';
    throw new StoreError('STORE_IMPORT_INVALID', `import refused, ${errors.length} problem(s): ${shown}${more}`, { details: errors.slice(0, MAX_REPORTED) });
  }
  return entries;
}

/** One batch holding every run of the file; refuses documents outside a run and run uids already stored or repeated. */
export function planImport(entries: readonly JsonlEntry[], hasRun: (uid: string) => boolean, firstId: number): { batch: WriteBatch; runs: string[] } {
  const tracker = new RunTracker({ imported: true });
  const batch: WriteBatch = { starts: [], documents: [], events: [], stops: [] };
  const runs: string[] = [];
  for (const { line, name, doc } of entries) {
    if (name === 'start') {
      const uid = (doc as { uid: string }).uid;
      if (hasRun(uid) || runs.includes(uid)) {
        throw new StoreError('STORE_DUPLICATE_RUN', `import refused: line ${line}: run ${uid} is already stored${runs.includes(uid) ? ' (twice in this file)' : ''}`);
      }
      runs.push(uid);
    }
    const stopDoc = doc as { exit_status?: unknown; reason?: unknown };
    const interrupted = name === 'stop' && stopDoc.exit_status === 'abort' && stopDoc.reason === INTERRUPTED_REASON;
    const obs = tracker.observe(name, doc, undefined, interrupted);
    if (obs.runUid === null || !runs.includes(obs.runUid)) {
      throw new StoreError('STORE_IMPORT_INVALID', `import refused: line ${line}: this ${name} document belongs to no run started earlier in the file`);
    }
    const id = firstId + batch.documents.length;
    if (obs.start !== undefined) batch.starts.push({ ...obs.start, firstDocId: id });
    batch.documents.push({ id, runUid: obs.runUid, name, json: JSON.stringify(doc) });
    if (obs.stop !== undefined) batch.stops.push({ ...obs.stop, lastDocId: id });
  }
  return { batch, runs };
}
