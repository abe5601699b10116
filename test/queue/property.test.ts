/**
 * Random add / move / remove sequences against a plain array model: the
 * scheduler's order, the store's order after a reload (memory and SQLite, whose
 * ordering keys are fractional and renumbered when they run out), and the
 * `queue` events applied to a client's copy all agree with the model.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { Dispatcher } from '../../src/dispatcher/index.js';
import {
  MemoryQueueStore, type Position, type QueueChange, QueueError, type QueueItem, QueueScheduler, type QueueStore, SqliteQueueStore, insertionIndex,
} from '../../src/queue/index.js';

type Cmd =
  | { op: 'add'; n: number; where: number; pos: Position['pos'] | 'before' | 'after' }
  | { op: 'move'; which: number; where: number; pos: Position['pos'] | 'before' | 'after' }
  | { op: 'remove'; which: number };

const posArb = fc.oneof(fc.constant('front' as const), fc.constant('back' as const), fc.integer({ min: -6, max: 6 }), fc.constant('before' as const), fc.constant('after' as const));
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({ op: fc.constant('add' as const), n: fc.integer({ min: 1, max: 3 }), where: fc.nat(), pos: posArb }),
  fc.record({ op: fc.constant('move' as const), which: fc.nat(), where: fc.nat(), pos: posArb }),
  fc.record({ op: fc.constant('remove' as const), which: fc.nat() }),
);

/** The model: where an item goes, computed on a plain array by the rule the docs state. */
function modelIndex(list: readonly string[], pos: Position['pos']): number {
  const n = list.length;
  if (pos === undefined || pos === 'back') return n;
  if (pos === 'front') return 0;
  return pos >= 0 ? Math.min(pos, n) : Math.max(0, n + 1 + pos);
}

function position(list: readonly string[], pos: Cmd extends infer C ? C extends { pos: infer P } ? P : never : never, where: number): Position | null {
  if (pos === 'before' || pos === 'after') {
    const anchor = list[where % Math.max(1, list.length)];
    if (anchor === undefined) return null;
    return pos === 'before' ? { before_uid: anchor } : { after_uid: anchor };
  }
  return pos === undefined ? {} : { pos };
}

/** A client's copy of the queue, kept only from the `queue` events. */
function applyChange(copy: string[], c: QueueChange): string[] {
  switch (c.change) {
    case 'added': return [...copy.slice(0, c.index), ...c.items.map((i) => i.item_uid), ...copy.slice(c.index)];
    case 'removed': return copy.filter((u) => !c.item_uids.includes(u));
    case 'moved': { const rest = copy.filter((u) => u !== c.item_uid); return [...rest.slice(0, c.index), c.item_uid, ...rest.slice(c.index)]; }
    case 'cleared': return [];
    default: return copy;
  }
}

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

async function check(makeStore: () => { store: QueueStore; reopen: () => QueueStore }, runs: number): Promise<void> {
  await fc.assert(fc.asyncProperty(fc.array(cmdArb, { maxLength: 40 }), async (cmds) => {
    const { store, reopen } = makeStore();
    const d = new Dispatcher();
    const q = new QueueScheduler(d, { store });
    let copy: string[] = [];
    q.onChange((c) => { copy = applyChange(copy, c); });
    let model: string[] = [];
    for (const c of cmds) {
      if (c.op === 'add') {
        const p = position(model, c.pos, c.where);
        if (p === null) continue;
        const index = p.pos !== undefined || (p.before_uid === undefined && p.after_uid === undefined) ? modelIndex(model, p.pos)
          : model.indexOf((p.before_uid ?? p.after_uid) as string) + (p.after_uid !== undefined ? 1 : 0);
        const r = await q.add(Array.from({ length: c.n }, () => ({ plan: 'count' })), p, 'prop');
        assert.equal(r.index, index);
        model = [...model.slice(0, index), ...r.items.map((i: QueueItem) => i.item_uid), ...model.slice(index)];
      } else if (c.op === 'move') {
        const uid = model[c.which % Math.max(1, model.length)];
        if (uid === undefined) continue;
        const rest = model.filter((u) => u !== uid);
        const p = position(rest.length === 0 ? model : rest, c.pos, c.where);
        if (p === null) continue;
        const anchor = p.before_uid ?? p.after_uid;
        const index = anchor === undefined ? modelIndex(rest, p.pos) : rest.indexOf(anchor) + (p.after_uid !== undefined ? 1 : 0);
        if (anchor === uid) { await q.move(uid, p); continue; }
        await q.move(uid, p);
        model = [...rest.slice(0, index), uid, ...rest.slice(index)];
      } else {
        const uid = model[c.which % Math.max(1, model.length)];
        if (uid === undefined) {
          await assert.rejects(q.remove('nope'), (e: unknown) => e instanceof QueueError && e.code === 'unknown_item');
          continue;
        }
        await q.remove(uid);
        model = model.filter((u) => u !== uid);
      }
      assert.deepEqual(q.view().items.map((i) => i.item_uid), model);
      assert.deepEqual(copy, model);
    }
    q.dispose();
    await store.close();
    const again = reopen();
    assert.deepEqual((await again.load()).items.map((s) => s.item.item_uid), model);
    await again.close();
  }), { numRuns: runs });
}

describe('queue order: random add/move/remove against a model', () => {
  it('insertionIndex agrees with the model rule', () => {
    fc.assert(fc.property(fc.array(fc.uuid(), { maxLength: 8 }), fc.oneof(fc.constant('front' as const), fc.constant('back' as const), fc.integer({ min: -20, max: 20 })), (uids, pos) => {
      assert.equal(insertionIndex(uids, { pos }), modelIndex(uids, pos));
    }));
  });

  it('memory store', async () => {
    await check(() => { const store = new MemoryQueueStore(); return { store, reopen: () => store }; }, 300);
  });

  it('SQLite store (reloaded from the file)', async () => {
    await check(() => {
      const dir = mkdtempSync(join(tmpdir(), 'queue-prop-'));
      dirs.push(dir);
      return { store: SqliteQueueStore.open(dir), reopen: () => SqliteQueueStore.open(dir) };
    }, 60);
  });

  it('ordering keys that run out of precision are renumbered', async () => {
    const store = new MemoryQueueStore();
    const q = new QueueScheduler(new Dispatcher(), { store });
    const first = (await q.add([{ plan: 'a' }, { plan: 'b' }], {}, 't')).items;
    let anchor = first[1]?.item_uid as string;
    const model = first.map((i) => i.item_uid);
    // Always between the first and the newest: the key gap halves each time.
    for (let k = 0; k < 80; k++) {
      const uid = (await q.add([{ plan: 'c' }], { before_uid: anchor }, 't')).items[0]?.item_uid as string;
      model.splice(model.indexOf(anchor), 0, uid);
      anchor = uid;
    }
    assert.deepEqual(q.view().items.map((i) => i.item_uid), model);
    assert.deepEqual((await store.load()).items.map((s) => s.item.item_uid), model);
    q.dispose();
  });
});
