/**
 * The plan queue's shapes, as they cross the wire (snake_case, bluesky-queueserver's
 * names where it has one: `item_uid`, `item_type`, `exit_status`, `time_start`).
 * Plain data: the store keeps them as JSON.
 * @module
 */

/** An instruction item: `queue_stop` stops the queue when reached (queueserver's only instruction). */
export const INSTRUCTIONS = ['queue_stop'] as const;
export type Instruction = (typeof INSTRUCTIONS)[number];

/** What a client asks to queue: a plan by name with its params and metadata, or an instruction. */
export type ItemInput =
  | { plan: string; params?: unknown; md?: Record<string, unknown> }
  | { instruction: Instruction };

/** A queued item: the request plus a server-given uid, who added it and when. */
export type QueueItem = {
  item_uid: string;
  /** The caller's name (the key name when auth is on; `anonymous` otherwise). */
  user: string;
  /** Seconds since the epoch. */
  time_added: number;
} & (
  | { item_type: 'plan'; plan: string; params: unknown; md: Record<string, unknown> }
  | { item_type: 'instruction'; instruction: Instruction }
);

/** How an item ended (bluesky-queueserver's words, plus `interrupted`: the server died while it ran). */
export type ExitStatus = 'completed' | 'stopped' | 'failed' | 'aborted' | 'halted' | 'interrupted';

/** One run an item opened: its uid and its stop document's verdict (null while it is open). */
export interface ItemRun { uid: string; exit_status: string | null; reason: string | null }

/** The error a failed item raised. */
export interface ItemError { type: string; message: string }

/** The item being run: the item and what is known so far. */
export interface RunningItem {
  item: QueueItem;
  time_start: number;
  runs: ItemRun[];
}

/** An item that ran: the item and its result. */
export interface HistoryEntry {
  item: QueueItem;
  result: {
    exit_status: ExitStatus;
    time_start: number;
    time_stop: number;
    runs: ItemRun[];
    run_uids: string[];
    error: ItemError | null;
  };
}

/** `loop`: items that ran go back to the end; `ignore_failures`: a failed item does not stop the queue. */
export interface QueueMode { loop: boolean; ignore_failures: boolean }

export const DEFAULT_MODE: QueueMode = Object.freeze({ loop: false, ignore_failures: false });

/** `running`: items are taken one after another; `stopped`: nothing is taken. */
export type QueueState = 'running' | 'stopped';

/** Where an item goes: back (default), front, an index (negative: from the end), or beside another item. */
export interface Position {
  pos?: 'front' | 'back' | number;
  before_uid?: string;
  after_uid?: string;
}

/** Every change to the queue or the history, as pushed on v2's `queue` topic. */
export type QueueChange =
  | { change: 'added'; index: number; items: QueueItem[] }
  | { change: 'removed'; item_uids: string[] }
  | { change: 'moved'; item_uid: string; index: number }
  | { change: 'updated'; item: QueueItem }
  | { change: 'cleared' }
  | { change: 'running'; running: RunningItem }
  | { change: 'run'; item_uid: string; run: ItemRun }
  | { change: 'finished'; entry: HistoryEntry }
  | { change: 'state'; state: QueueState; stop_pending: boolean }
  | { change: 'mode'; mode: QueueMode }
  | { change: 'history_cleared' };
