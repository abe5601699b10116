/**
 * `SynImageDetector` (`hw().img`): ophyd.sim's SynSignalWithRegistry, an image detector
 * whose readings point at externally stored frames through resource and datum documents.
 * It writes no files: the documents describe frames that are never saved.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { AssetDoc, DataKey, Reading, WritesExternalAssets } from '../model/protocols.js';
import type { Status } from '../model/status.js';
import { npFloatArrayRepr } from '../model/python-repr.js';
import { SynSignal, type SynSignalOptions } from './signal.js';

export interface SynImageOptions extends SynSignalOptions {
  /** Resource `root` (ophyd `save_path`). Default '/tmp'. */
  savePath?: string;
  /** Resource `spec`. Default 'NPY_SEQ' (ophyd's numpy-file-per-frame handler). */
  spec?: string;
  /** A new uuid4 string. Default crypto.randomUUID. */
  uid?: () => string;
}

const ones10x10 = (): number[][] => Array.from({ length: 10 }, () => new Array<number>(10).fill(1));

/**
 * An image detector that reads as datum ids. `stage()` opens a resource; each trigger
 * adds a datum `<resource uid>/<index>`; `collectAssetDocs()` hands over (and forgets) the
 * documents not yet collected; `read()` is `{img: {value: datum_id, timestamp}}`, empty
 * before the first trigger.
 * @example
 * img.stage(); img.trigger();
 * [...img.collectAssetDocs()] // [['resource', {...}], ['datum', {datum_id: '<uid>/0', ...}]]
 */
export class SynImageDetector extends SynSignal implements WritesExternalAssets {
  protected override readonly pyClass: string = 'SynSignalWithRegistry';
  readonly savePath: string;
  readonly spec: string;
  readonly #uid: () => string;
  #resourceUid: string | null = null;
  #counter = 0;
  #cache: AssetDoc[] = [];
  #result: Record<string, Reading> = {};

  constructor(options: SynImageOptions) {
    super({ func: ones10x10, ...options });
    this.savePath = options.savePath ?? '/tmp';
    this.spec = options.spec ?? 'NPY_SEQ';
    this.#uid = options.uid ?? (() => randomUUID());
  }

  /** Open a new resource (one file stem for the frames to come). @returns `[this]`. */
  stage(): unknown[] {
    this.#openResource();
    return [this];
  }

  /** Forget the resource, the uncollected documents and the last reading. @returns `[this]`. */
  unstage(): unknown[] {
    this.#resourceUid = null;
    this.#counter = 0;
    this.#cache = [];
    this.#result = {};
    return [this];
  }

  /** Take a frame: compute it, then replace the reading's value by a new datum id. */
  override trigger(): Status {
    const status = super.trigger();
    if (this.#resourceUid === null) this.#openResource();
    const resource = this.#resourceUid ?? '';
    this.#result = {};
    for (const [key, reading] of Object.entries(super.read())) {
      const index = this.#counter++;
      const datumId = `${resource}/${index}`;
      this.#cache.push(['datum', { resource, datum_kwargs: { index }, datum_id: datumId }]);
      this.#result[key] = { ...reading, value: datumId };
    }
    return status;
  }

  /** The datum ids of the last trigger (`{}` before any). */
  override read(): Record<string, Reading> {
    const out: Record<string, Reading> = {};
    for (const [key, reading] of Object.entries(this.#result)) out[key] = { ...reading };
    return out;
  }

  /** As SynSignal's, plus `external: 'FILESTORE'` (ophyd's spelling). */
  override describe(): Record<string, DataKey> {
    const out = super.describe();
    for (const key of Object.values(out)) key.external = 'FILESTORE';
    return out;
  }

  /** Yield and forget the resource/datum documents made since the last call. */
  *collectAssetDocs(): Generator<AssetDoc, void, undefined> {
    const items = this.#cache;
    this.#cache = [];
    yield* items;
  }

  protected override valueRepr(): string {
    return npFloatArrayRepr(this.get());
  }

  #openResource(): void {
    const fileStem = this.#uid().replaceAll('-', '').slice(0, 6);
    this.#resourceUid = this.#uid();
    this.#counter = 0;
    this.#cache.push(['resource', {
      spec: this.spec,
      root: this.savePath,
      resource_path: fileStem,
      resource_kwargs: {},
      path_semantics: 'posix',
      uid: this.#resourceUid,
    }]);
  }
}
