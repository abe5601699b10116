/**
 * The queue's refusals, with the catalogue codes (src/ops/errors.ts) the queue
 * operations answer with; the scheduler knows nothing of protocols.
 * @module
 */

export type QueueErrorCode = 'bad_request' | 'unknown_item' | 'item_not_pending' | 'illegal_state' | 'busy';

export interface QueueErrorDetail { path: string; message: string; expected?: string; got?: string }

export class QueueError extends Error {
  readonly code: QueueErrorCode;
  /** The catalogue template's fields (`item_uid`, `status`, `op`, `problem`, `plan`). */
  readonly data: Readonly<Record<string, unknown>>;
  readonly details: QueueErrorDetail[];
  constructor(code: QueueErrorCode, data: Readonly<Record<string, unknown>>, details: QueueErrorDetail[] = []) {
    super(String(data.problem ?? code));
    this.name = 'QueueError';
    this.code = code;
    this.data = data;
    this.details = details;
  }

  static unknownItem(uid: string, path = '/item_uid', message = 'no pending, running or finished item has this uid'): QueueError {
    return new QueueError('unknown_item', { item_uid: uid }, [{ path, message, got: uid }]);
  }

  static notPending(uid: string, status: string, path = '/item_uid'): QueueError {
    return new QueueError('item_not_pending', { item_uid: uid, status }, [{ path, message: `the item is ${status}`, expected: 'a pending item', got: uid }]);
  }

  static state(op: string, problem: string): QueueError {
    return new QueueError('illegal_state', { op, problem }, [{ path: '', message: problem }]);
  }
}
