/**
 * ophyd.sim's trivial flyers: `TrivialFlyer` kicks off and completes at once and collects
 * 100 empty partial events; `NewTrivialFlyer` adds an (empty) `collectAssetDocs`.
 * @module
 */
import type { AssetDoc, DataKey, DescribeCollect, PartialEvent, Reading } from '../model/protocols.js';
import { completedStatus, type Status } from '../model/status.js';

/** A flyer that complies with the flyer API but returns empty data (ophyd `TrivialFlyer`). */
export class TrivialFlyer {
  readonly name: string = 'trivial_flyer';
  readonly parent: null = null;

  kickoff(): Status {
    return completedStatus(this.name);
  }

  complete(): Status {
    return completedStatus(this.name);
  }

  /** `{stream_name: {}}`: one stream with no data keys. */
  describeCollect(): DescribeCollect {
    return { stream_name: {} };
  }

  /** 100 partial events with no data; `time` and `seq_num` are the index 0..99, as in ophyd. */
  *collect(): Generator<PartialEvent & { seq_num: number }, void, undefined> {
    for (let i = 0; i < 100; i++) yield { data: {}, timestamps: {}, time: i, seq_num: i };
  }

  readConfiguration(): Record<string, Reading> {
    return {};
  }

  describeConfiguration(): Record<string, DataKey> {
    return {};
  }

  stop(_options: { success?: boolean } = {}): void {}

  /** Python's default object repr, without the memory address. */
  repr(): string {
    return `<ophyd.sim.${this.pyClass} object>`;
  }

  protected get pyClass(): string {
    return 'TrivialFlyer';
  }

  toString(): string {
    return this.repr();
  }
}

/** TrivialFlyer with the asset-refactor API: `collectAssetDocs()` yields nothing. */
export class NewTrivialFlyer extends TrivialFlyer {
  override readonly name: string = 'new_trivial_flyer';

  *collectAssetDocs(): Generator<AssetDoc, void, undefined> {
    // ophyd's NewTrivialFlyer has no external assets.
  }

  protected override get pyClass(): string {
    return 'NewTrivialFlyer';
  }
}
