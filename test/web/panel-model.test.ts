/**
 * The panel's model fed by hand-made stream batches (no browser, no server):
 * progress ends with the run, a replay after a snapshot cannot turn the state
 * back, control replies go stale at the next run, interruptions read as words.
 * @module
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DispatcherClient, Event, ExceptionData, Status, SubscribeResult } from '../../src/protocol/v2/client.js';
import { ClientError } from '../../src/protocol/v2/client.js';
import { PanelModel } from '../../src/web/panel-model.js';
import type { StreamMessage } from '../../src/web/stream.js';
import { type Doc, countDocs } from './fixtures.js';

/** The requests the model makes, answered at once; `refuse` makes control verbs fail. */
function fakeClient(refuse = false): DispatcherClient {
  const control = (): Promise<{ state: string }> => (refuse ? Promise.reject(new ClientError('illegal_state', 'not paused')) : Promise.resolve({ state: 'pausing' }));
  const stub = {
    plans: () => Promise.resolve({ plans: [] }), devices: () => Promise.resolve({ devices: [] }),
    hello: () => Promise.resolve({ server: { version: 'test' } }),
    status: () => Promise.resolve(status('pausing', 1_000_000)),
    request: (op: string) => (op === 'runs.list' ? Promise.resolve({ runs: [] }) : Promise.reject(new ClientError('no_store', 'no store'))),
    pause: control, resume: control, stop: control, abort: control, halt: control, close: () => undefined,
  };
  // A stub with only what the model calls: the real client would open a socket.
  return stub as unknown as DispatcherClient;
}

function model(refuse = false): { m: PanelModel; feed(batch: StreamMessage[]): void } {
  let onBatch: ((b: StreamMessage[]) => void) | null = null;
  const m = new PanelModel('ws://unused/v2', (fn) => { onBatch = fn; return { where: () => 'page', close: () => undefined }; }, fakeClient(refuse));
  m.open();
  return { m, feed: (batch) => onBatch?.(batch) };
}

function status(state: string, seq: number): Status { return { state, busy: state !== 'idle', plan: null, item_id: null, run_uid: null, run_start_time: null, seq }; }
const snapshot = (state: string, seq: number): SubscribeResult => ({ topics: [], seq, status: status(state, seq), open_run: null, replay_from: null });
let seq = 0;
const ev = <T extends Event['topic']>(topic: T, data: Extract<Event, { topic: T }>['data'], at?: number): Event => ({ seq: at ?? ++seq, topic, time: 1_700_000_000, data } as Event);
const docs = (list: Array<[string, Doc]>): Event[] => list.map(([name, doc]) => ev('document', { name, doc }));
const state = (n: string, old: string | null): Event => ev('state', { new: n, old, plan: 'count', run_uid: null, item_id: null });

describe('PanelModel', () => {
  it('progress is counted from the run, and ends with it (no ETA, its exit status, no more counting)', () => {
    const { m, feed } = model();
    feed([{ kind: 'subscribed', result: snapshot('idle', seq) }]);
    const all = countDocs(100, 40, { exit: 'abort', reason: 'sample drifted' });
    feed([{ kind: 'events', events: [state('running', 'idle'), ...docs(all.slice(0, 22))] }]);
    const p = m.progress;
    assert.deepEqual([p?.done, p?.total, p?.ended], [20, 100, null]);
    assert.ok(p !== null && p.etaS !== null && p.etaS > 0, 'an ETA while running');
    feed([{ kind: 'events', events: [...docs(all.slice(22)), state('aborting', 'running'), state('idle', 'aborting')] }]);
    assert.deepEqual([m.progress?.done, m.progress?.ended, m.progress?.etaS], [40, 'abort', null]);
    assert.equal(m.progress?.fraction, 0.4, 'the bar stays where the run ended');
  });

  it('a replay after the snapshot (subscribe with since) cannot turn the state back', () => {
    const { m, feed } = model();
    // Reconnected while the run went on: the snapshot already says idle, then the replay brings older events.
    const at = seq + 100;
    const all = countDocs(50, 50, { uid: 'replayed', exit: 'success' });
    const replay = [state('running', 'idle'), ...docs(all)].map((e, i) => ({ ...e, seq: at - 60 + i }) as Event);
    feed([{ kind: 'subscribed', result: snapshot('idle', at) }, { kind: 'events', events: replay }]);
    assert.equal(m.status.state, 'idle');
    assert.equal(m.run?.events, 50, 'the replayed documents are drawn');
    seq = at;
    feed([{ kind: 'events', events: [state('running', 'idle')] }]);
    assert.equal(m.status.state, 'running', 'newer events still move it');
  });

  it('a control reply (even a refusal) stays until the next run starts', async () => {
    const { m, feed } = model(true);
    feed([{ kind: 'subscribed', result: snapshot('idle', seq) }]);
    await m.control('resume');
    assert.equal(m.controlReply?.ok, false);
    assert.match(m.controlReply?.text ?? '', /resume refused: not paused/);
    feed([{ kind: 'events', events: [state('running', 'idle'), ...docs(countDocs(3, 0, { uid: 'next' }).slice(0, 1))] }]);
    assert.equal(m.controlReply, null);
  });

  it('a click shows its effect at once, even while the stream is far behind; the late stream does not undo it', async () => {
    const { m, feed } = model();
    feed([{ kind: 'subscribed', result: snapshot('idle', seq) }, { kind: 'events', events: [state('running', 'idle')] }]);
    await m.control('pause');
    assert.equal(m.status.state, 'pausing', 'from the server\'s status, not the stream');
    feed([{ kind: 'events', events: [state('running', null), ...docs(countDocs(100, 5, { uid: 'behind' }))] }]);
    assert.equal(m.status.state, 'pausing', 'older stream events are already in that status');
    assert.equal(m.run?.events, 5, 'their documents still count');
  });

  it('interruptions in the console are words; a real failure keeps its message', () => {
    const { m, feed } = model();
    feed([{ kind: 'subscribed', result: snapshot('idle', seq) }]);
    const prompt = '\nYour RunEngine is entering a paused state. These are your options for changing\nthe state of the RunEngine:\n\nRE.resume()    Resume the plan.\n';
    feed([{ kind: 'events', events: [
      state('running', 'idle'), state('pausing', 'running'), state('paused', 'pausing'),
      ev('exception', { plan: 'count', item_id: null, type: 'RunEngineInterrupted', message: prompt, interruption: 'pause', summary: 'paused at a checkpoint — resume, stop, abort or halt' }),
    ] }]);
    assert.equal(m.stateHint, 'paused at a checkpoint — resume, stop, abort or halt');
    feed([{ kind: 'events', events: [
      state('stopping', 'paused'), state('idle', 'stopping'),
      // A server from before `interruption` and `summary` existed: known by the type.
      ev('exception', { plan: 'count', item_id: null, type: 'RunEngineInterrupted', message: prompt } as unknown as ExceptionData),
      ev('exception', { plan: 'scan', item_id: null, type: 'FailedStatus', message: 'motor jammed', interruption: null, summary: 'failed: FailedStatus: motor jammed' }),
    ] }]);
    const text = m.console.map((l) => `${l.level} ${l.text}`);
    assert.deepEqual(text, [
      'warn count: paused at a checkpoint — resume, stop, abort or halt',
      'warn count: stopped by request',
      'error scan raised FailedStatus: motor jammed',
    ]);
    assert.ok(!text.join('\n').includes('RE.'), 'no Python prompt text');
    assert.equal(m.stateHint, null);
    // An abort's reason comes from its stop document, which precedes the idle state.
    const run = countDocs(10, 2, { uid: 'aborted', exit: 'abort', reason: 'sample drifted' });
    feed([{ kind: 'events', events: [state('running', 'idle'), ...docs(run), state('aborting', 'running'), state('idle', 'aborting')] }]);
    assert.equal(m.console.at(-1)?.text, 'count: aborted by request: sample drifted');
  });
});
