/**
 * The part every test websocket client shares: open (rejecting on a failed
 * handshake), hear each text message, know how the socket closed, and let
 * callers wait for the next message. Protocol-specific clients (v1's
 * `Client`, v2's `V2Conn`) say what a message means.
 * @module
 */
import { WebSocket } from 'ws';

export abstract class SocketClient {
  readonly ws: WebSocket;
  readonly closed: Promise<{ code: number; reason: string }>;
  #wake: Array<() => void> = [];

  protected constructor(ws: WebSocket) {
    this.ws = ws;
    // Called only after the handshake, so subclass fields are initialised by then.
    ws.on('message', (data) => { this.onMessage(String(data)); this.#notify(); });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => { this.#notify(); resolve({ code, reason: String(reason) }); }));
  }

  /** One text message, in arrival order. */
  protected abstract onMessage(text: string): void;

  /** Resolves at the next message or at the close. */
  protected nextMessage(): Promise<void> { return new Promise((r) => this.#wake.push(r)); }

  close(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.close();
    return this.closed;
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = [];
    for (const f of w) f();
  }
}

/** Open `url` and wrap the socket with `make`; resolves once open, rejects if the handshake fails. */
export function openClient<T extends SocketClient>(url: string, make: (ws: WebSocket) => T): Promise<T> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const c = make(ws);
    ws.once('open', () => resolve(c));
    ws.once('error', reject);
  });
}
