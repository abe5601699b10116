/**
 * One open run's documents (bluesky bundlers.py RunBundler): descriptors per
 * stream, event bundling (create/read/save/drop), sequence counters and their
 * checkpoint snapshot, monitors, configuration re-description, interruptions.
 * Flyer collection lives in collect.ts. Emits through the host; no I/O.
 * @module
 */
import type { Configuration, DocumentName, EventDescriptor, ExitStatus, RunStop } from '../model/documents.js';
import { DocumentValidationError, IllegalMessageSequence, ProtocolError } from '../model/errors.js';
import {
  type AssetDoc, type DataKey, type DescribeCollect, type Reading, hasHints, isCollectable, isConfigurable, isReadable,
  isSubscribable,
  type WritesExternalAssets, isWritesExternalAssets, nameOf,
} from '../model/protocols.js';
import type { Clock } from '../model/clock.js';
import { checkEventKeys, composeDescriptor, composeEvent, composeStop, splitReadings } from './compose.js';

/** What a bundler needs from the engine. */
export interface BundlerHost {
  readonly clock: Clock;
  /** Validate and dispatch a document; throws if a callback throws (unless ignored). */
  emit(name: DocumentName, doc: object): void;
  /** For documents emitted outside the loop (monitor callbacks): errors are reported, not thrown. */
  emitDetached(name: DocumentName, doc: object): void;
}

type Obj = object;
interface Stream { doc: EventDescriptor; objs: Obj[] }
interface Monitor { cb: (value: unknown) => void }

export class RunBundler {
  readonly startUid: string;
  readonly #host: BundlerHost;
  readonly #strictPreDeclare: boolean;
  #bundling = false;
  #bundleName: string | null = null;
  #objsRead: Obj[] = [];
  #readCache: Array<Record<string, Reading>> = [];
  #assetCache: AssetDoc[] = [];
  readonly #describe = new Map<Obj, Record<string, DataKey>>();
  readonly #config = new Map<Obj, Configuration | Record<string, never>>();
  readonly #streams = new Map<string, Stream>();
  readonly #seq = new Map<string, number>();
  readonly #seqSnapshot = new Map<string, number>();
  readonly #monitors = new Map<Obj, Monitor>();
  readonly declaredStreams = new Map<string, Obj[]>();
  readonly uncollected = new Set<Obj>();
  #interruptions: EventDescriptor | null = null;
  #open = true;

  constructor(host: BundlerHost, startUid: string, strictPreDeclare: boolean) {
    this.#host = host;
    this.startUid = startUid;
    this.#strictPreDeclare = strictPreDeclare;
  }

  get isBundling(): boolean { return this.#bundling; }
  get isOpen(): boolean { return this.#open; }

  /** Emit the `interruptions` descriptor (record_interruptions). */
  startInterruptions(): void {
    const dataKeys: Record<string, DataKey> = { interruption: { dtype: 'string', shape: [], source: 'RunEngine' } };
    this.#interruptions = composeDescriptor(this.#host.clock.uuid(), this.#host.clock.now(), this.startUid,
      { name: 'interruptions', dataKeys, objectKeys: {}, configuration: {}, hints: {} });
    this.#seq.set('interruptions', 1);
    this.#host.emit('descriptor', this.#interruptions);
  }

  recordInterruption(content: string): void {
    if (this.#interruptions === null) return;
    const now = this.#host.clock.now();
    this.#host.emitDetached('event', composeEvent(this.#host.clock.uuid(), now, this.#interruptions.uid,
      this.#nextSeq('interruptions'), { interruption: content }, { interruption: now }, {}));
  }

  async ensureCached(obj: Obj): Promise<void> {
    if (!this.#describe.has(obj)) {
      if (!isReadable(obj)) throw new ProtocolError(obj, 'Readable');
      this.#describe.set(obj, await obj.describe());
    }
    await this.#cacheConfig(obj);
  }

  async #cacheConfig(obj: Obj): Promise<void> {
    if (this.#config.has(obj)) return;
    if (!isConfigurable(obj)) { this.#config.set(obj, {}); return; }
    const [dks, conf] = await Promise.all([obj.describeConfiguration(), obj.readConfiguration()]);
    const { data, timestamps } = splitReadings(conf);
    this.#config.set(obj, { data, timestamps, data_keys: dks });
  }

  /** Compose and emit a descriptor for `name` from objects and their data keys (bluesky _prepare_stream). */
  prepareStream(name: string, objsDks: ReadonlyMap<Obj, Record<string, DataKey>>): EventDescriptor {
    const dataKeys: Record<string, DataKey> = {};
    const objectKeys: Record<string, string[]> = {};
    const configuration: Record<string, Configuration | Record<string, never>> = {};
    const hints: Record<string, unknown> = {};
    for (const [obj, dks] of objsDks) {
      const objName = nameOf(obj);
      if (hasHints(obj)) hints[objName] = obj.hints;
      objectKeys[objName] = Object.keys(dks);
      // bluesky mutates the cached describe dicts to add object_name.
      for (const key of Object.keys(dks)) (dks[key] as DataKey).object_name = objName;
      Object.assign(dataKeys, dks);
      configuration[objName] = this.#config.get(obj) ?? {};
    }
    const existing = this.#streams.get(name);
    if (existing !== undefined && JSON.stringify(existing.doc.data_keys) !== JSON.stringify(dataKeys)) {
      throw new DocumentValidationError(`A descriptor with the name ${name} has already been composed with data_keys ${JSON.stringify(existing.doc.data_keys)}; got different data_keys ${JSON.stringify(dataKeys)}`);
    }
    const doc = composeDescriptor(this.#host.clock.uuid(), this.#host.clock.now(), this.startUid,
      { name, dataKeys, objectKeys, configuration, hints });
    this.#host.emit('descriptor', doc);
    this.#streams.set(name, { doc, objs: [...objsDks.keys()] });
    if (!this.#seq.has(name)) { this.#seq.set(name, 1); this.#seqSnapshot.set(name, 1); }
    return doc;
  }

  descriptorFor(name: string): EventDescriptor | undefined { return this.#streams.get(name)?.doc; }

  /** `declare_stream`: describe (or, with `collect`, describeCollect) every object and emit the descriptor. */
  async declareStream(objs: readonly Obj[], name: string, collect = false): Promise<EventDescriptor> {
    const unique = [...new Set(objs)];
    const objsDks = new Map<Obj, Record<string, DataKey>>();
    for (const obj of unique) {
      if (!collect) {
        await this.ensureCached(obj);
        objsDks.set(obj, this.#describe.get(obj) as Record<string, DataKey>);
        continue;
      }
      if (!isCollectable(obj)) throw new ProtocolError(obj, 'Collectable');
      await this.#cacheConfig(obj);
      objsDks.set(obj, streamDataKeys(await obj.describeCollect(), name, obj));
    }
    this.declaredStreams.set(name, unique);
    return this.prepareStream(name, objsDks);
  }

  create(name: string): void {
    if (this.#bundling) throw new IllegalMessageSequence("A second 'create' message is not allowed until the current event bundle is closed with a 'save' or 'drop' message.");
    if (this.#strictPreDeclare && !this.#streams.has(name)) throw new IllegalMessageSequence('In strict mode you must pre-declare streams.');
    this.#readCache = [];
    this.#assetCache = [];
    this.#objsRead = [];
    this.#bundling = true;
    this.#bundleName = name;
  }

  /**
   * Add a reading to the open bundle (no-op when not bundling). Synchronous
   * once the object's description and configuration are cached and it writes
   * no external assets: every reading after an object's first (bluesky's
   * `_read` awaits nothing then either).
   */
  read(obj: Obj, reading: Record<string, Reading>): void | Promise<void> {
    if (!this.#bundling) return;
    if (!this.#describe.has(obj) || !this.#config.has(obj)) return this.ensureCached(obj).then(() => this.#addReading(obj, reading));
    return this.#addReading(obj, reading);
  }

  #addReading(obj: Obj, reading: Record<string, Reading>): void | Promise<void> {
    const keys = this.#describe.get(obj) as Record<string, DataKey>;
    for (const other of this.#objsRead) {
      const otherKeys = this.#describe.get(other) as Record<string, DataKey>;
      const clash = Object.keys(keys).filter((k) => Object.hasOwn(otherKeys, k));
      if (clash.length > 0) {
        throw new DocumentValidationError(`Data keys (field names) from ${nameOf(obj)} collide with those from ${nameOf(other)}. The colliding keys are ${JSON.stringify(clash)}`);
      }
    }
    this.#objsRead.push(obj);
    this.#readCache.push(reading);
    if (isWritesExternalAssets(obj)) return this.#cacheAssets(obj);
  }

  async #cacheAssets(obj: Obj & WritesExternalAssets): Promise<void> {
    for await (const doc of obj.collectAssetDocs()) this.#assetCache.push(doc);
  }

  save(): void {
    if (!this.#bundling) throw new IllegalMessageSequence("A 'create' message must be sent, to open an event bundle, before that bundle can be saved with 'save'.");
    const name = this.#bundleName as string;
    this.#bundling = false;
    this.#bundleName = null;
    if (this.#objsRead.length === 0) return;
    let stream = this.#streams.get(name);
    if (stream === undefined) {
      this.prepareStream(name, new Map(this.#objsRead.map((o) => [o, this.#describe.get(o) as Record<string, DataKey>])));
      stream = this.#streams.get(name) as Stream;
    } else if (!sameSet(stream.objs, this.#objsRead)) {
      throw new DocumentValidationError(`Mismatched objects read, expected ${setText(stream.objs)}, got ${setText(this.#objsRead)}`);
    }
    this.emitAssets(this.#assetCache, name);
    const readings: Record<string, Reading> = this.#readCache.length === 1
      ? this.#readCache[0] as Record<string, Reading>
      : Object.assign({}, ...this.#readCache) as Record<string, Reading>;
    const { data, timestamps } = splitReadings(readings);
    const filled: Record<string, boolean> = {};
    const dks = stream.doc.data_keys;
    for (const key in dks) {
      const ext = (dks[key] as DataKey).external;
      if (ext !== undefined && ext !== 'STREAM:') filled[key] = false;
    }
    checkEventKeys(stream.doc, data, timestamps, filled);
    this.#host.emit('event', composeEvent(this.#host.clock.uuid(), this.#host.clock.now(), stream.doc.uid,
      this.#nextSeq(name), data, timestamps, filled));
  }

  drop(): void {
    if (!this.#bundling) throw new IllegalMessageSequence("A 'create' message must be sent, to open an event bundle, before that bundle can be dropped with 'drop'.");
    this.#bundling = false;
    this.#bundleName = null;
  }

  /**
   * Emit asset documents before the event/page that references them: resource and
   * stream_resource get `run_start`; a stream_datum (sent by the device with
   * `descriptor: ""` and `seq_nums: {0, 0}`) gets the stream's descriptor and the
   * sequence numbers its indices will occupy (bluesky _pack_seq_nums_into_stream_datum).
   */
  emitAssets(docs: readonly AssetDoc[], stream: string): void {
    for (const [name, doc] of docs) {
      let out: Record<string, unknown> = doc;
      if (name === 'resource' || name === 'stream_resource') out = { ...doc, run_start: this.startUid };
      else if (name === 'stream_datum') {
        const indices = doc.indices as { start: number; stop: number };
        const first = this.#seq.get(stream) ?? 1;
        out = { ...doc, descriptor: this.#streams.get(stream)?.doc.uid ?? '', seq_nums: { start: first, stop: first + (indices.stop - indices.start) } };
      }
      this.#host.emit(name, out);
    }
  }

  #nextSeq(stream: string): number {
    const n = this.#seq.get(stream) ?? 1;
    this.#seq.set(stream, n + 1);
    return n;
  }

  /** Reserve `count` sequence numbers (event pages, stream datums). */
  takeSeq(stream: string, count: number): number {
    const n = this.#seq.get(stream) ?? 1;
    this.#seq.set(stream, n + count);
    return n;
  }

  async monitor(obj: Obj, name: string): Promise<void> {
    if (!isSubscribable(obj)) throw new ProtocolError(obj, 'Subscribable');
    if (this.#monitors.has(obj)) throw new IllegalMessageSequence(`A 'monitor' message was sent for ${nameOf(obj)} which is already monitored`);
    await this.ensureCached(obj);
    const doc = this.prepareStream(name, new Map([[obj, this.#describe.get(obj) as Record<string, DataKey>]]));
    const cb = (value: unknown): void => {
      const readings = isReadingsDict(value) ? value : (isReadable(obj) ? obj.read() : null);
      if (readings === null || readings instanceof Promise) {
        this.#host.emitDetached('event', new Error(`${nameOf(obj)}: a monitor callback needs a readings dict or a synchronous read()`));
        return;
      }
      const { data, timestamps } = splitReadings(readings);
      this.#host.emitDetached('event', composeEvent(this.#host.clock.uuid(), this.#host.clock.now(),
        (this.#streams.get(name)?.doc ?? doc).uid, this.#nextSeq(name), data, timestamps, {}));
    };
    this.#monitors.set(obj, { cb });
    obj.subscribe(cb);
  }

  unmonitor(obj: Obj): void {
    if (!isSubscribable(obj)) throw new ProtocolError(obj, 'Subscribable');
    const m = this.#monitors.get(obj);
    if (m === undefined) throw new IllegalMessageSequence(`Cannot 'unmonitor' ${nameOf(obj)}; it is not being monitored.`);
    obj.clearSub(m.cb);
    this.#monitors.delete(obj);
  }

  suspendMonitors(): void {
    for (const [obj, m] of this.#monitors) if (isSubscribable(obj)) obj.clearSub(m.cb);
  }

  restoreMonitors(): void {
    for (const [obj, m] of this.#monitors) if (isSubscribable(obj)) obj.subscribe(m.cb);
  }

  /** Remove monitor callbacks; returns errors instead of throwing (cleanup path). */
  clearMonitors(): unknown[] {
    const errors: unknown[] = [];
    for (const [obj, m] of [...this.#monitors]) {
      try {
        if (isSubscribable(obj)) obj.clearSub(m.cb);
        this.#monitors.delete(obj);
      } catch (e) { errors.push(e); }
    }
    return errors;
  }

  /** After `configure(obj)`: new configuration, and a new descriptor for every stream containing obj. */
  async reconfigure(obj: Obj): Promise<void> {
    this.#config.delete(obj);
    await this.#cacheConfig(obj);
    for (const [name, stream] of [...this.#streams]) {
      if (!stream.objs.includes(obj)) continue;
      this.prepareStream(name, new Map(stream.objs.map((o) => [o, this.#describe.get(o) ?? {}])));
    }
  }

  /** Snapshot the counters (a checkpoint). */
  resetCheckpointState(): void {
    for (const [k, v] of this.#seq) this.#seqSnapshot.set(k, v);
  }

  clearCheckpoint(): void { this.#seqSnapshot.clear(); }

  /** Roll counters back to the snapshot and discard an open bundle (bluesky RunBundler.rewind). */
  rewind(): void {
    this.#seq.clear();
    for (const [k, v] of this.#seqSnapshot) this.#seq.set(k, v);
    for (const name of this.#streams.keys()) {
      if (!this.#seq.has(name)) { this.#seq.set(name, 1); this.#seqSnapshot.set(name, 1); }
    }
    this.#bundling = false;
  }

  closeRun(exitStatus: ExitStatus, reason: string): RunStop {
    if (!this.#open) throw new IllegalMessageSequence("A 'close_run' message was received but there is no run open.");
    this.clearMonitors();
    const numEvents: Record<string, number> = {};
    const names = new Set([...this.#streams.keys(), ...(this.#interruptions === null ? [] : ['interruptions'])]);
    for (const name of names) numEvents[name] = (this.#seq.get(name) ?? 1) - 1;
    const doc = composeStop(this.#host.clock.uuid(), this.#host.clock.now(), this.startUid, exitStatus, reason, numEvents);
    this.#open = false;
    this.#host.emit('stop', doc);
    this.resetCheckpointState();
    return doc;
  }

  /** For collect.ts: cache and access describe results. */
  cachedDescribe(obj: Obj): Record<string, DataKey> | undefined { return this.#describe.get(obj); }
  async cacheConfigFor(obj: Obj): Promise<void> { await this.#cacheConfig(obj); }
  streams(): ReadonlyMap<string, Stream> { return this.#streams; }
}

function isReadingsDict(x: unknown): x is Record<string, Reading> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const first = Object.values(x)[0];
  return typeof first === 'object' && first !== null && 'value' in first && 'timestamp' in first;
}

function sameSet(a: readonly Obj[], b: readonly Obj[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

function setText(objs: readonly Obj[]): string {
  return `{${[...new Set(objs)].map(nameOf).join(', ')}}`;
}

/** The data keys of `stream` from a describeCollect() result, flat or nested by stream (bluesky declare_stream collect=True). */
function streamDataKeys(described: DescribeCollect, stream: string, obj: Obj): Record<string, DataKey> {
  const values = Object.values(described);
  const nested = values.length > 0 && values.every((v) => typeof v === 'object' && v !== null && !('dtype' in v));
  if (!nested) return { ...(described as Record<string, DataKey>) };
  const keys = Object.keys(described);
  if (keys.length !== 1 || keys[0] !== stream) {
    throw new DocumentValidationError(`\`declare_stream\` contained \`collect=True\` but \`describe_collect\` of ${nameOf(obj)} did not return a single Dict[str, DataKey] for the passed in ${stream} (got streams ${JSON.stringify(keys)})`);
  }
  return { ...(described as Record<string, Record<string, DataKey>>)[stream] };
}
