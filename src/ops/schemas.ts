/**
 * The shapes operations exchange, as TypeBox schemas (plain JSON Schema at run
 * time): the engine status, plans, devices, run summaries. Field names are the
 * wire's snake_case.
 * @module
 */
import { type Static, type TSchema, Type } from 'typebox';

export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/** No parameters (extra keys are refused). */
export const NoParams = Type.Object({}, { additionalProperties: false });

/**
 * A count of rows to skip or return (`offset`, `limit`). Bounded by the largest integer a JSON number
 * carries exactly: a larger one reached SQLite as a value no INTEGER holds (`internal: datatype mismatch`).
 */
export const RowCount = (description: string) => Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description });

export const Status = Type.Object({
  state: Type.String({ description: 'the RunEngine state (idle, running, paused, ...) or a state a scan announced' }),
  busy: Type.Boolean({ description: 'a plan is in progress (or paused): start would answer busy' }),
  plan: Nullable(Type.String()),
  item_id: Nullable(Type.String()),
  run_uid: Nullable(Type.String()),
  run_start_time: Nullable(Type.Number({ description: 'when the item started, seconds since the epoch' })),
  seq: Type.Integer({ description: 'the seq of the last event of the stream this status includes' }),
});
export type StatusT = Static<typeof Status>;

export const PlanInfo = Type.Object({
  name: Type.String(),
  description: Type.String(),
  params: Nullable(Type.Record(Type.String(), Type.Unknown(), { description: 'the JSON Schema of its parameters (null: unchecked)' })),
});

export const DeviceInfo = Type.Object({
  name: Type.String(),
  kind: Type.String({ description: 'the device class' }),
  readable: Type.Boolean(),
  movable: Type.Boolean(),
  describe: Type.Record(Type.String(), Type.Unknown(), { description: 'ophyd describe(): data keys' }),
});

export const StateResult = Type.Object({ state: Type.String({ description: 'the engine state when the reply was sent' }) });

export const RunSummary = Type.Object({
  uid: Type.String(),
  scan_id: Nullable(Type.Integer()),
  plan_name: Nullable(Type.String()),
  item_id: Nullable(Type.String()),
  params: Type.Unknown(),
  start_time: Type.Number(),
  stop_time: Nullable(Type.Number()),
  exit_status: Nullable(Type.String()),
  reason: Nullable(Type.String()),
  num_events: Nullable(Type.Record(Type.String(), Type.Integer())),
  interrupted: Type.Boolean(),
  imported: Type.Boolean(),
  instance: Type.Optional(Type.String({ description: 'the server (--instance) that recorded the run, in a store several servers share (PostgreSQL)' })),
});

/** A plan's name. */
export const PlanName = Type.String({ minLength: 1, description: 'a plan name, as the plans op lists them' });
/** Start metadata: merged into the start document(s). */
export const Metadata = Type.Record(Type.String(), Type.Unknown(), { description: 'metadata for the start document(s)' });
