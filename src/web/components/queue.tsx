/**
 * The Queue tab: start and stop the queue and set its modes; the running item
 * (marked) and the pending items, reordered by drag or by keyboard (Alt+arrows,
 * Alt+Home/End, or each item's Move buttons), removed, or their params edited
 * (`queue.update`); and the history, newest first, each item's runs opening
 * the run's plot (the History tab's detail pane). Everything shown comes from
 * the stream's `queue` events (src/web/queue-model.ts): a click sends an
 * operation and the change arrives as an event, as it does for every client.
 * @module
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ClientError } from '../../protocol/v2/client.js';
import { dateTime, duration, uidPrefix } from '../format.js';
import type { PanelModel } from '../panel-model.js';
import { type HistoryEntry, type ItemKey, type MovePosition, type QueueItem, type QueueView, dropPosition, itemKey, itemTitle, keyMove, moved, paramsSummary } from '../queue-model.js';
import { RunDetail } from './history.js';

interface Reply { ok: boolean; text: string }

/** A refusal as the user reads it: the server's message and its code (`forbidden` names the scope). */
const refusal = (what: string, e: ClientError): string => `${what} refused: ${e.message} (${e.code})`;

export function QueueTab({ model }: { model: PanelModel }) {
  const feed = model.queue;
  const view = feed.view;
  const [reply, setReply] = useState<Reply | null>(null);
  const [run, setRun] = useState<string | null>(null);

  async function send<T>(what: string, call: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: ClientError }> {
    const r = await model.act(what, call);
    setReply(r.ok ? null : { ok: false, text: refusal(what, r.error) });
    return r;
  }

  if (view === null) {
    return <p class="empty" role="status" data-testid="queue-unavailable">{feed.error === null ? 'Loading the queue…' : `No queue: ${feed.error}`}</p>;
  }
  return (
    <div class={`queue-tab ${run === null ? '' : 'with-detail'}`}>
      <div class="queue-main">
        <QueueControls model={model} view={view} send={send} />
        <p class={`reply ${reply?.ok === false ? 'error' : ''}`} role="status" data-testid="queue-reply">{reply?.text ?? ''}</p>
        {view.running === null ? null : <Running running={view.running} onRun={setRun} />}
        <Pending model={model} view={view} send={send} />
        <QueueHistory model={model} entries={feed.history} total={feed.historyTotal} selected={run} onRun={setRun} />
      </div>
      {run === null ? null : <RunDetail model={model} uid={run} summary={model.history.find((r) => r.uid === run) ?? null} onClose={() => setRun(null)} />}
    </div>
  );
}

type Send = <T>(what: string, call: () => Promise<T>) => Promise<{ ok: true; value: T } | { ok: false; error: ClientError }>;

function QueueControls({ model, view, send }: { model: PanelModel; view: QueueView; send: Send }) {
  const c = model.client;
  const online = model.connection === 'connected';
  const running = view.state === 'running';
  return (
    <section class="queue-controls" aria-label="queue controls">
      <span class={`qstate qstate-${view.state}`} data-testid="queue-state">{view.state}{view.stop_pending ? ' · stops after this item' : ''}</span>
      <button type="button" class="primary" data-action="queue-start" disabled={!online || running} onClick={() => void send('queue.start', () => c.request('queue.start'))}>Start queue</button>
      {view.stop_pending
        ? <button type="button" data-action="queue-stop-cancel" disabled={!online} onClick={() => void send('queue.stop_cancel', () => c.request('queue.stop_cancel'))}>Cancel stop</button>
        : <button type="button" data-action="queue-stop" disabled={!online || !running} title="Stop the queue after the running item (the item itself runs on)"
            onClick={() => void send('queue.stop', () => c.request('queue.stop'))}>Stop queue</button>}
      <label class="mode" title="Items that ran go back to the end of the queue">
        <input type="checkbox" data-mode="loop" checked={view.mode.loop} disabled={!online}
          onChange={(e) => void send('queue.mode', () => c.request('queue.mode', { loop: (e.target as HTMLInputElement).checked }))} /> loop</label>
      <label class="mode" title="A failed, aborted or halted item does not stop the queue">
        <input type="checkbox" data-mode="ignore_failures" checked={view.mode.ignore_failures} disabled={!online}
          onChange={(e) => void send('queue.mode', () => c.request('queue.mode', { ignore_failures: (e.target as HTMLInputElement).checked }))} /> ignore failures</label>
      <button type="button" class="small danger" data-action="queue-clear" disabled={!online || view.items.length === 0}
        onClick={() => { if (confirm(`Remove all ${String(view.items.length)} pending items?`)) void send('queue.clear', () => c.request('queue.clear')); }}>Clear queue</button>
    </section>
  );
}

function Running({ running, onRun }: { running: NonNullable<QueueView['running']>; onRun: (uid: string) => void }) {
  const item = running.item;
  return (
    <section class="queue-running" aria-label="running item" data-testid="queue-running" data-uid={item.item_uid}>
      <span class="badge running">running</span>
      <b>{itemTitle(item)}</b> <span class="params">{paramsSummary(item.params)}</span>
      <span class="meta">since {dateTime(running.time_start)} · {item.user}</span>
      <RunLinks runs={running.runs} onRun={onRun} />
    </section>
  );
}

function RunLinks({ runs, onRun, selected }: { runs: ReadonlyArray<{ uid: string; exit_status: string | null }>; onRun: (uid: string) => void; selected?: string | null }) {
  if (runs.length === 0) return <span class="meta">no run yet</span>;
  return (
    <span class="runs-links">
      {runs.map((r) => (
        <button key={r.uid} type="button" class="link uid" aria-label={`open run ${r.uid}`} aria-pressed={selected === r.uid}
          data-run={r.uid} onClick={() => onRun(r.uid)}>{uidPrefix(r.uid)}{r.exit_status === null ? '' : ` ${r.exit_status}`}</button>
      ))}
    </span>
  );
}

function Pending({ model, view, send }: { model: PanelModel; view: QueueView; send: Send }) {
  const items = view.items;
  const list = useRef<HTMLOListElement>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [drag, setDrag] = useState<string | null>(null);
  const [hint, setHint] = useState<{ uid: string; after: boolean } | null>(null);
  const [announce, setAnnounce] = useState('');
  // After a keyboard move the item keeps the focus once the stream shows it at its new place.
  const [refocus, setRefocus] = useState<{ uid: string; index: number } | null>(null);
  const focusItem = (uid: string): void => list.current?.querySelector<HTMLElement>(`li[data-uid="${uid}"]`)?.focus();

  useEffect(() => {
    if (refocus === null) return;
    if (items.findIndex((i) => i.item_uid === refocus.uid) !== refocus.index) return;
    focusItem(refocus.uid);
    setRefocus(null);
  });

  async function move(item: QueueItem, p: MovePosition, byKey: boolean): Promise<void> {
    const index = moved(items, item.item_uid, p).findIndex((i) => i.item_uid === item.item_uid);
    if (byKey) setRefocus({ uid: item.item_uid, index });
    const r = await send('queue.move', () => model.client.request('queue.move', { item_uid: item.item_uid, ...p }));
    if (r.ok) setAnnounce(`${itemTitle(item)} moved to position ${String(r.value.index + 1)} of ${String(items.length)}`);
    else setRefocus(null);
  }

  async function remove(item: QueueItem, i: number): Promise<void> {
    const r = await send('queue.remove', () => model.client.request('queue.remove', { item_uid: item.item_uid }));
    if (!r.ok) return;
    setAnnounce(`${itemTitle(item)} removed`);
    // The focus goes to the item that took its place (or the one before it).
    const next = items[i + 1] ?? items[i - 1];
    if (next !== undefined) setRefocus({ uid: next.item_uid, index: items[i + 1] === undefined ? i - 1 : i });
  }

  function onKey(e: KeyboardEvent, item: QueueItem, i: number): void {
    // Keys typed into the edit form are the form's.
    const t = e.target as HTMLElement;
    if (t.closest('form') !== null || t.tagName === 'INPUT' || t.tagName === 'TEXTAREA') return;
    const key: ItemKey | null = itemKey(e);
    if (key === null) return;
    e.preventDefault();
    if (key === 'focus-prev' || key === 'focus-next') {
      const other = items[key === 'focus-prev' ? i - 1 : i + 1];
      if (other !== undefined) focusItem(other.item_uid);
      return;
    }
    if (key === 'remove') { void remove(item, i); return; }
    const p = keyMove(items, item.item_uid, key);
    if (p !== null) void move(item, p, true);
  }

  function onDragOver(e: DragEvent, item: QueueItem): void {
    if (drag === null) return;
    e.preventDefault(); // allows the drop
    if (e.dataTransfer !== null) e.dataTransfer.dropEffect = 'move';
    const box = (e.currentTarget as HTMLElement).getBoundingClientRect();
    const after = e.clientY > box.top + box.height / 2;
    if (hint?.uid !== item.item_uid || hint.after !== after) setHint({ uid: item.item_uid, after });
  }

  function onDrop(e: DragEvent, target: QueueItem): void {
    e.preventDefault();
    const dragged = items.find((x) => x.item_uid === drag);
    const box = (e.currentTarget as HTMLElement).getBoundingClientRect();
    const after = e.clientY > box.top + box.height / 2;
    setDrag(null); setHint(null);
    if (dragged === undefined) return;
    const p = dropPosition(items, dragged.item_uid, target.item_uid, after);
    if (p !== null) void move(dragged, p, false);
  }

  return (
    <section class="queue-pending" aria-labelledby="queue-pending-title">
      <h2 id="queue-pending-title">Pending <small>({items.length})</small></h2>
      <p class="hint" id="queue-keys">Drag an item, or focus it and press Alt+↑ / Alt+↓ to move it (Alt+Home / Alt+End: to the front / back), Delete to remove it; ↑ / ↓ move the focus.</p>
      <p class="sr-only" aria-live="polite" data-testid="queue-announce">{announce}</p>
      {items.length === 0 ? <p class="empty">The queue is empty: add plans with "Add to queue" in the Live tab's form.</p> : null}
      <ol ref={list} class="queue-items" data-testid="queue-items" aria-describedby="queue-keys">
        {items.map((item, i) => (
          <li key={item.item_uid} data-uid={item.item_uid} tabIndex={0} draggable={editing !== item.item_uid}
            aria-label={`${String(i + 1)} of ${String(items.length)}: ${itemTitle(item)} ${paramsSummary(item.params)}`}
            class={`queue-item ${drag === item.item_uid ? 'dragging' : ''} ${hint?.uid === item.item_uid ? (hint.after ? 'drop-after' : 'drop-before') : ''}`}
            onKeyDown={(e) => onKey(e, item, i)}
            onDragStart={(e) => { e.dataTransfer?.setData('text/plain', item.item_uid); if (e.dataTransfer !== null) e.dataTransfer.effectAllowed = 'move'; setDrag(item.item_uid); }}
            onDragOver={(e) => onDragOver(e, item)} onDragLeave={() => setHint(null)} onDrop={(e) => onDrop(e, item)}
            onDragEnd={() => { setDrag(null); setHint(null); }}>
            <span class="grip" aria-hidden="true">⋮⋮</span>
            <span class="pos">{i + 1}</span>
            <span class="what"><b class="plan">{itemTitle(item)}</b> <span class="params" data-testid="item-params">{paramsSummary(item.params)}</span></span>
            <span class="meta">{item.user} · {dateTime(item.time_added)}</span>
            <span class="item-buttons">
              <button type="button" class="small" aria-label={`Move ${itemTitle(item)} (${String(i + 1)}) up`} title="Move up (Alt+↑)" disabled={i === 0}
                onClick={() => { const p = keyMove(items, item.item_uid, 'up'); if (p !== null) void move(item, p, false); }}>↑</button>
              <button type="button" class="small" aria-label={`Move ${itemTitle(item)} (${String(i + 1)}) down`} title="Move down (Alt+↓)" disabled={i === items.length - 1}
                onClick={() => { const p = keyMove(items, item.item_uid, 'down'); if (p !== null) void move(item, p, false); }}>↓</button>
              {item.item_type === 'plan'
                ? <button type="button" class="small" aria-expanded={editing === item.item_uid} aria-label={`Edit params of ${itemTitle(item)} (${String(i + 1)})`}
                    onClick={() => setEditing(editing === item.item_uid ? null : item.item_uid)}>Edit</button>
                : null}
              <button type="button" class="small danger" aria-label={`Remove ${itemTitle(item)} (${String(i + 1)})`} title="Remove (Delete)" onClick={() => void remove(item, i)}>×</button>
            </span>
            {editing === item.item_uid ? <EditParams model={model} item={item} onDone={() => { setEditing(null); focusItem(item.item_uid); }} /> : null}
          </li>
        ))}
      </ol>
    </section>
  );
}

/** The params of a pending item as JSON, replaced with `queue.update` (checked as `start` checks them). */
function EditParams({ model, item, onDone }: { model: PanelModel; item: QueueItem; onDone: () => void }) {
  const [text, setText] = useState(() => JSON.stringify(item.params ?? {}, null, 2));
  const [errors, setErrors] = useState<string[]>([]);
  async function save(e: Event): Promise<void> {
    e.preventDefault();
    let params: unknown;
    try { params = JSON.parse(text); } catch (x) { setErrors([`params must be JSON: ${x instanceof Error ? x.message : String(x)}`]); return; }
    const r = await model.act('queue.update', () => model.client.request('queue.update', { item_uid: item.item_uid, params }));
    if (r.ok) { onDone(); return; }
    // The server's message and code, then each problem with its path (as the plan form shows them).
    setErrors([`${r.error.message} (${r.error.code})`, ...r.error.details.map((d) => `${d.path === '' ? '' : `${d.path}: `}${d.message}`)]);
  }
  return (
    <form class="edit-params" aria-label={`edit params of ${itemTitle(item)}`} onSubmit={(e) => void save(e)}
      onKeyDown={(e) => { if (e.key === 'Escape') { e.preventDefault(); onDone(); } }}>
      <label>Params (JSON)
        <textarea rows={Math.min(12, text.split('\n').length + 1)} value={text} spellcheck={false} aria-invalid={errors.length > 0}
          onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} data-testid="edit-params" />
      </label>
      {errors.length === 0 ? null : <ul class="field-error" role="alert" data-testid="edit-error">{errors.map((m, i) => <li key={i}>{m}</li>)}</ul>}
      <div class="edit-buttons">
        <button type="submit" class="primary small">Save</button>
        <button type="button" class="small" onClick={onDone}>Cancel</button>
      </div>
    </form>
  );
}

function QueueHistory({ model, entries, total, selected, onRun }: { model: PanelModel; entries: HistoryEntry[]; total: number; selected: string | null; onRun: (uid: string) => void }) {
  return (
    <section class="queue-history" aria-labelledby="queue-history-title">
      <h2 id="queue-history-title">History <small>(newest first, {entries.length} of {total})</small></h2>
      {entries.length === 0 ? <p class="empty">No item has run yet.</p> : (
        <div class="table-wrap">
          <table class="runs" data-testid="queue-history">
            <thead><tr>
              <th scope="col">item</th><th scope="col">outcome</th><th scope="col">started</th><th scope="col">duration</th>
              <th scope="col">runs</th><th scope="col">error</th>
            </tr></thead>
            <tbody>
              {entries.map((h) => (
                <tr key={`${h.item.item_uid}@${String(h.result.time_start)}`} data-item-uid={h.item.item_uid} data-outcome={h.result.exit_status}>
                  <td class="item-cell"><b>{itemTitle(h.item)}</b> <span class="params">{paramsSummary(h.item.params, 60)}</span>
                    <small class="meta"> · {h.item.user} · {uidPrefix(h.item.item_uid)}</small></td>
                  <td><span class={`exit outcome-${h.result.exit_status}`}>{h.result.exit_status}</span></td>
                  <td>{dateTime(h.result.time_start)}</td>
                  <td>{duration(h.result.time_stop - h.result.time_start)}</td>
                  <td><RunLinks runs={h.result.runs} onRun={onRun} selected={selected} /></td>
                  <td class="error-cell">{h.result.error === null ? '' : `${h.result.error.type}: ${h.result.error.message}`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {entries.length < total ? <button type="button" class="small" onClick={() => void model.olderQueueHistory()}>Load older</button> : null}
    </section>
  );
}
