/**
 * External stream data (test_external_assets_and_paging.py::test_stream_datum_readable_counts,
 * simplified to one STREAM: key): stream_resource once, a stream_datum per event with the
 * descriptor and seq_nums filled in by the engine, events without the STREAM: key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunEngine } from '../../src/engine/index.js';
import { count } from '../../src/plans/index.js';
import { msg } from '../../src/model/msg.js';
import { completedStatus } from '../../src/model/status.js';
import type { AssetDoc, DataKey } from '../../src/model/protocols.js';
import { DocCollector } from '../helpers/collect.js';

class StreamDetector {
  readonly name = 'sdet';
  readonly parent = null;
  #index = 0;
  #resource: string | null = null;
  describe(): Record<string, DataKey> {
    return { sdet_image: { source: 'sim', dtype: 'array', shape: [10, 10], external: 'STREAM:' } };
  }
  read(): Record<string, { value: unknown; timestamp: number }> { return {}; }
  *collectAssetDocs(): Iterable<AssetDoc> {
    if (this.#resource === null) {
      this.#resource = globalThis.crypto.randomUUID();
      yield ['stream_resource', { uid: this.#resource, data_key: 'sdet_image', mimetype: 'application/x-hdf5', uri: 'file://localhost/tmp/sdet.h5', parameters: { dataset: '/data' } }];
    }
    const start = this.#index++;
    yield ['stream_datum', { uid: `${this.#resource}/${start}`, stream_resource: this.#resource, descriptor: '', indices: { start, stop: start + 1 }, seq_nums: { start: 0, stop: 0 } }];
  }
}

test('stream_datum gets the descriptor uid and the seq_nums of its event', async () => {
  const re = new RunEngine();
  const docs = new DocCollector();
  re.subscribe(docs.callback);
  await re.run(count([new StreamDetector()], { num: 2 }));
  assert.deepEqual(docs.invalid, []);
  assert.deepEqual(docs.names(), ['start', 'descriptor', 'stream_resource', 'stream_datum', 'event', 'stream_datum', 'event', 'stop']);
  const descriptor = docs.of('descriptor')[0] as { uid: string };
  const datums = docs.of('stream_datum') as Array<{ descriptor: string; seq_nums: { start: number; stop: number } }>;
  assert.deepEqual(datums.map((d) => [d.descriptor, d.seq_nums]), [[descriptor.uid, { start: 1, stop: 2 }], [descriptor.uid, { start: 2, stop: 3 }]]);
  assert.deepEqual(docs.of('event').map((e) => [e.seq_num, e.data, e.filled]), [[1, {}, {}], [2, {}, {}]]);
  assert.equal((docs.of('stream_resource')[0] as { run_start: string }).run_start, (docs.of('start')[0] as { uid: string }).uid);
});

test('declare_stream with collect=True describes the flyer through describeCollect()', async () => {
  const flyer = {
    name: 'fly', parent: null,
    kickoff: () => completedStatus('fly'),
    complete: () => completedStatus('fly'),
    describeCollect: () => ({ fly_x: { source: 'sim', dtype: 'number', shape: [] } }),
    collect: function* (): Iterable<{ data: Record<string, unknown>; timestamps: Record<string, number> }> {
      for (let i = 0; i < 3; i++) yield { data: { fly_x: i }, timestamps: { fly_x: i } };
    },
  };
  const re = new RunEngine();
  const docs = new DocCollector();
  re.subscribe(docs.callback);
  await re.run([
    msg('open_run'), msg('declare_stream', null, [flyer], { name: 'fly_stream', collect: true }),
    msg('kickoff', flyer), msg('complete', flyer), msg('collect', flyer, [], { name: 'fly_stream' }), msg('close_run'),
  ]);
  assert.deepEqual(docs.invalid, []);
  assert.deepEqual(docs.names(), ['start', 'descriptor', 'event_page', 'stop']);
  assert.deepEqual((docs.of('event_page')[0] as { seq_num: number[] }).seq_num, [1, 2, 3]);
  assert.deepEqual((docs.of('stop')[0] as { num_events: Record<string, number> }).num_events, { fly_stream: 3 });
});
