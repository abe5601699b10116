/**
 * What the typed clients share: the operations as typed methods over a
 * transport's `request` (the websocket's in client.ts, HTTP's in
 * http-client.ts), and the error a refused request rejects with.
 * @module
 */
import type { ErrorCode, ErrorDetail, OpName, Ops, Status } from './types.js';

/** A request refused by the server (its stable code), or lost with the connection (`disconnected`). */
export class ClientError extends Error {
  readonly code: ErrorCode | 'disconnected';
  readonly details: ErrorDetail[];
  constructor(code: ErrorCode | 'disconnected', message: string, details: ErrorDetail[] = []) {
    super(message);
    this.name = 'ClientError';
    this.code = code;
    this.details = details;
  }
}

/**
 * The operations as typed methods, over any transport's `request` (the websocket's here,
 * HTTP's in http-client.ts): both clients offer the same calls.
 */
export abstract class OperationMethods {
  /** Send one request; resolves with its result or rejects with a {@link ClientError}. */
  abstract request<K extends OpName>(op: K, params?: Ops[K]['params']): Promise<Ops[K]['result']>;

  status(): Promise<Status> { return this.request('status'); }
  plans(): Promise<Ops['plans']['result']> { return this.request('plans'); }
  devices(): Promise<Ops['devices']['result']> { return this.request('devices'); }
  validate(plan: string, params: Record<string, unknown> = {}): Promise<Ops['validate']['result']> { return this.request('validate', { plan, params }); }
  start(plan: string, params: Record<string, unknown> = {}, md: Record<string, unknown> = {}): Promise<Ops['start']['result']> { return this.request('start', { plan, params, md }); }
  pause(defer = false): Promise<{ state: string }> { return this.request('pause', { defer }); }
  resume(): Promise<{ state: string }> { return this.request('resume'); }
  stop(): Promise<{ state: string }> { return this.request('stop'); }
  abort(reason = ''): Promise<{ state: string }> { return this.request('abort', { reason }); }
  halt(): Promise<{ state: string }> { return this.request('halt'); }
  /** The emergency stop: halt any run, stop every device, run the emergency functions (any state). */
  stopAll(): Promise<Ops['stop_all']['result']> { return this.request('stop_all'); }
  /** Re-import the server's plans modules (when idle); the old plans stay if the new fail to load (`load_failed`). */
  reload(): Promise<Ops['reload']['result']> { return this.request('reload'); }
  /** The run index, newest first. */
  runsList(query: Ops['runs.list']['params'] = {}): Promise<Ops['runs.list']['result']> { return this.request('runs.list', query); }
  /** A run's summary and one page of its documents. */
  runsGet(uid: string, page: { offset?: number; limit?: number } = {}): Promise<Ops['runs.get']['result']> { return this.request('runs.get', { uid, ...page }); }
}
