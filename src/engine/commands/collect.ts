/**
 * `collect` for flyers (bluesky spec §5.4 collect): stream resolution
 * (declared stream, or the legacy nested describe_collect), asset documents,
 * then event pages; plus the end-of-call backstop collect.
 * @module
 */
import type { Event, EventDescriptor } from '../../model/documents.js';
import { IllegalMessageSequence, ProtocolError, RunEngineError } from '../../model/errors.js';
import type { Msg } from '../../model/msg.js';
import {
  type AssetDoc, type Collectable, type DataKey, type PartialEvent, isCollectable, isEventCollectable,
  isEventPageCollectable, isWritesExternalAssets, nameOf,
} from '../../model/protocols.js';
import { checkEventKeys, composeEvent, composeEventPage } from '../compose.js';
import type { RunBundler } from '../run-bundler.js';
import type { CommandHandler } from '../registry.js';
import type { CommandContext } from './context.js';

export function collectCommands(ctx: CommandContext): Record<string, CommandHandler> {
  return {
    collect: async (m) => {
      const b = ctx.core.bundler(m.run, "A 'collect' message was sent but no run is open.");
      if (m.kwargs.stream === true) throw new RunEngineError('ENGINE_NOT_SUPPORTED', 'Collect now emits EventPages (stream=False), so emitting Events (stream=True) is no longer supported');
      const payload = await collect(ctx, b, [m.obj, ...m.args], m);
      return m.kwargs.return_payload === false ? null : payload;
    },
  };
}

/** Collect every flyer kicked off but never collected; errors are reported, not thrown. */
export async function backstopCollect(ctx: CommandContext): Promise<void> {
  for (const b of ctx.core.bundlers.values()) {
    for (const obj of [...b.uncollected]) {
      try { await collect(ctx, b, [obj], null); } catch (e) { ctx.core.notify.warn(`Failed to collect ${nameOf(obj)}.`, e); }
    }
  }
}

async function collect(ctx: CommandContext, b: RunBundler, objs: unknown[], m: Msg | null): Promise<unknown[]> {
  for (const o of objs) if (!isCollectable(o)) throw new ProtocolError(o, 'Collectable');
  const flyers = objs as Collectable[];
  for (const o of flyers) b.uncollected.delete(o);
  const name = m?.kwargs.name;
  if (typeof name === 'string' && b.descriptorFor(name) === undefined) {
    throw new RunEngineError('ENGINE_STREAM_NOT_DECLARED', 'If a message stream name is provided declare stream needs to be called first.');
  }
  if (typeof name !== 'string' && flyers.length > 1) {
    throw new IllegalMessageSequence('If collecting multiple objects you must predeclare a stream for all the objects first and provide the stream name');
  }
  const payload: unknown[] = [];
  for (const flyer of flyers) {
    const descriptors = typeof name === 'string' ? [b.descriptorFor(name) as EventDescriptor] : await legacyDescriptors(b, flyer);
    const stream = descriptors[0]?.name ?? '';
    let width = 0;
    if (isWritesExternalAssets(flyer)) {
      const docs: AssetDoc[] = [];
      for await (const d of flyer.collectAssetDocs()) docs.push(d);
      b.emitAssets(docs, stream);
      const datum = docs.find(([n]) => n === 'stream_datum')?.[1] as { indices?: { start: number; stop: number } } | undefined;
      if (datum?.indices !== undefined) width = datum.indices.stop - datum.indices.start;
    }
    // A stream-asset-only device has no events: its stream's counter advances by the datum width.
    if (!isEventPageCollectable(flyer) && !isEventCollectable(flyer)) { b.takeSeq(stream, width); continue; }
    const partials: PartialEvent[] = [];
    if (isEventPageCollectable(flyer)) {
      for await (const page of flyer.collectPages()) {
        payload.push(page);
        const n = page.time?.length ?? Object.values(page.data)[0]?.length ?? 0;
        for (let i = 0; i < n; i++) {
          const row: PartialEvent = { data: {}, timestamps: {} };
          for (const k in page.data) row.data[k] = (page.data[k] as unknown[])[i];
          for (const k in page.timestamps) row.timestamps[k] = (page.timestamps[k] as number[])[i] as number;
          if (page.time !== undefined) row.time = page.time[i] as number;
          partials.push(row);
        }
      }
    } else if (isEventCollectable(flyer)) {
      for await (const ev of flyer.collect()) { payload.push(ev); partials.push(ev); }
    }
    emitPages(ctx, b, descriptors, partials);
  }
  return payload;
}

async function legacyDescriptors(b: RunBundler, flyer: Collectable): Promise<EventDescriptor[]> {
  const described = await flyer.describeCollect();
  const entries = Object.entries(described);
  const nested = entries.every(([, v]) => typeof v === 'object' && v !== null && !('dtype' in v));
  if (!nested) throw new RunEngineError('ENGINE_STREAM_NOT_DECLARED', `Single nested data keys should be pre-declared (${nameOf(flyer)}.describeCollect() returned flat data keys)`);
  await b.cacheConfigFor(flyer);
  const out: EventDescriptor[] = [];
  for (const [stream, dks] of entries as Array<[string, Record<string, DataKey>]>) {
    out.push(b.descriptorFor(stream) ?? b.prepareStream(stream, new Map([[flyer, { ...dks }]])));
  }
  return out;
}

/** Match each partial event to the descriptor with the same keys; one event_page per descriptor. */
function emitPages(ctx: CommandContext, b: RunBundler, descriptors: EventDescriptor[], partials: PartialEvent[]): void {
  const groups = new Map<EventDescriptor, Event[]>();
  const clock = ctx.core.clock;
  for (const p of partials) {
    const keys = Object.keys(p.data).sort().join('\u0000');
    const d = descriptors.find((x) => Object.keys(x.data_keys).filter((k) => x.data_keys[k]?.external !== 'STREAM:').sort().join('\u0000') === keys);
    if (d === undefined) throw new RunEngineError('ENGINE_DOCUMENT_INVALID', `collected data keys ${JSON.stringify(Object.keys(p.data))} match no stream of this flyer`);
    const filled = p.filled ?? {};
    checkEventKeys(d, p.data, p.timestamps, filled);
    const list = groups.get(d) ?? [];
    list.push(composeEvent(clock.uuid(), p.time ?? clock.now(), d.uid, 0, p.data, p.timestamps, filled));
    groups.set(d, list);
  }
  for (const [d, events] of groups) {
    const first = b.takeSeq(d.name, events.length);
    events.forEach((e, i) => { e.seq_num = first + i; });
    ctx.core.notify.emit('event_page', composeEventPage(events));
  }
}
