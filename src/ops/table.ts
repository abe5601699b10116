/**
 * The operation table: every request/reply operation, declared once. A new
 * operation is one `defineOp` (in the module of its area) and one line here;
 * protocols v1, v2 and HTTP find it through this table.
 * @module
 */
import type { OpDef, OpTypes } from './define.js';
import { abort, devices, halt, pause, plans, reload, resume, start, status, stop, stopAll, validate } from './engine-ops.js';
import { auditList, lockAcquire, lockRelease, lockStatus } from './oversight-ops.js';
import { QUEUE_OPS } from './queue-ops.js';
import { runsGet, runsList } from './runs-ops.js';

export const OPERATIONS = [
  status, plans, devices, validate, start, pause, resume, stop, abort, halt, stopAll, reload, runsList, runsGet,
  lockStatus, lockAcquire, lockRelease, auditList, ...QUEUE_OPS,
] as const;

/** The params and result types of every operation, by name. */
export type Operations = OpTypes<typeof OPERATIONS>;
export type OperationName = keyof Operations;

const BY_NAME: ReadonlyMap<string, OpDef> = new Map(OPERATIONS.map((d) => [d.name, d as unknown as OpDef]));

/** The operation named `name`, or undefined. */
export function operation(name: string): OpDef | undefined { return BY_NAME.get(name); }
