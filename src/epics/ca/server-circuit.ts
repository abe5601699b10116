/**
 * One client's TCP virtual circuit on the CA server side: channel creation, get, put,
 * put-callback, subscriptions with masks, flow control (EVENTS_OFF/ON) and a slow
 * reader's backpressure (only the newest update per subscription waits).
 * @module
 */
import type { Socket } from 'node:net';
import { convertValues, dbrInfo, dbrType, encodeDbrMessage, readDbr } from './dbr.js';
import {
  ACCESS_READ, ACCESS_WRITE, CA_MINOR_VERSION, Cmd, Eca, encodeMessage, MessageReader, stringPayload, writeHeader, type CaMessage,
} from './proto.js';
import type { ServerPv } from './server-pv.js';

/** Looks PVs up by name. */
export interface PvDirectory {
  get(name: string): ServerPv | undefined;
}

interface ServedChannel {
  readonly pv: ServerPv;
  readonly cid: number;
  readonly subs: Set<number>;
}

interface Subscription {
  readonly sid: number;
  readonly dataType: number;
  readonly count: number;
  readonly mask: number;
  readonly stop: () => void;
}

/** Above this many unsent bytes, monitor updates are coalesced until the socket drains. */
const HIGH_WATER = 256 * 1024;

/** Serves one TCP client. */
export class ServerCircuit {
  readonly #socket: Socket;
  readonly #pvs: PvDirectory;
  readonly #channels = new Map<number, ServedChannel>();
  readonly #subs = new Map<number, Subscription>();
  /** Subscriptions with an update held back (flow control or a full socket). */
  readonly #dirty = new Set<number>();
  #out: Buffer[] = [];
  #flushQueued = false;
  #eventsOn = true;
  #nextSid = 1;
  #closed = false;
  /** What the client said it is (CLIENT_NAME, HOST_NAME): for logs. */
  clientName = '';
  hostName = '';

  constructor(socket: Socket, pvs: PvDirectory) {
    this.#socket = socket;
    this.#pvs = pvs;
    socket.setNoDelay(true);
    const reader = new MessageReader((m) => this.#handle(m));
    socket.on('data', (chunk: Buffer) => {
      reader.push(chunk);
      this.#flush();
    });
    socket.on('drain', () => this.#sendDirty());
    socket.on('error', () => { /* 'close' follows and cleans up */ });
    socket.on('close', () => this.#cleanup());
  }

  /** Drop the client (server shutdown). */
  close(): void {
    this.#socket.destroy();
    this.#cleanup();
  }

  #cleanup(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const sub of this.#subs.values()) sub.stop();
    this.#subs.clear();
    this.#channels.clear();
    this.#dirty.clear();
  }

  #send(buf: Buffer): void {
    if (this.#closed) return;
    this.#out.push(buf);
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushQueued = false;
    if (this.#out.length === 0 || this.#closed) return;
    const out = this.#out;
    this.#out = [];
    this.#socket.write(out.length === 1 ? out[0] as Buffer : Buffer.concat(out));
  }

  #handle(m: CaMessage): void {
    switch (m.command) {
      case Cmd.VERSION: this.#send(encodeMessage(Cmd.VERSION, 0, CA_MINOR_VERSION, 0, 0)); return;
      case Cmd.CLIENT_NAME: this.clientName = m.payload.toString('utf8').replace(/\0.*$/s, ''); return;
      case Cmd.HOST_NAME: this.hostName = m.payload.toString('utf8').replace(/\0.*$/s, ''); return;
      case Cmd.CREATE_CHAN: this.#createChannel(m); return;
      case Cmd.READ_NOTIFY: case Cmd.READ: this.#read(m); return;
      case Cmd.WRITE: case Cmd.WRITE_NOTIFY: this.#write(m); return;
      case Cmd.EVENT_ADD: this.#subscribe(m); return;
      case Cmd.EVENT_CANCEL: this.#unsubscribe(m.p2, true); return;
      case Cmd.CLEAR_CHANNEL: this.#clearChannel(m); return;
      case Cmd.ECHO: this.#send(encodeMessage(Cmd.ECHO, 0, 0, 0, 0)); return;
      case Cmd.READ_SYNC: this.#send(encodeMessage(Cmd.READ_SYNC, 0, 0, 0, 0)); return;
      case Cmd.EVENTS_OFF: this.#eventsOn = false; return;
      case Cmd.EVENTS_ON: this.#eventsOn = true; this.#sendDirty(); return;
      default: return; // Unknown or client-only commands are ignored, as rsrv does.
    }
  }

  #createChannel(m: CaMessage): void {
    const name = m.payload.toString('utf8').replace(/\0.*$/s, '');
    const pv = this.#pvs.get(name);
    if (pv === undefined) {
      this.#send(encodeMessage(Cmd.CREATE_CH_FAIL, 0, 0, m.p1, 0));
      return;
    }
    const sid = this.#nextSid++;
    this.#channels.set(sid, { pv, cid: m.p1, subs: new Set() });
    const rights = ACCESS_READ | (pv.writable ? ACCESS_WRITE : 0);
    this.#send(encodeMessage(Cmd.ACCESS_RIGHTS, 0, 0, m.p1, rights));
    this.#send(encodeMessage(Cmd.CREATE_CHAN, typeNumber(pv), pv.maxCount, m.p1, sid));
  }

  /** Encode `pv` as `dataType`/`count` into a reply, or return an ECA code. */
  #encode(command: number, pv: ServerPv, dataType: number, requested: number, p1: number, p2: number): Buffer | number {
    const info = dbrInfo(dataType);
    if (info === null) return Eca.BADTYPE;
    if (requested > pv.maxCount) return Eca.BADCOUNT;
    const count = requested === 0 ? pv.values.length : requested;
    const data = pv.snapshot();
    try {
      data.value = convertValues(pv.values, pv.type, info.base, { enumStrings: data.enumStrings, precision: data.precision });
    } catch {
      return Eca.NOCONVERT;
    }
    return encodeDbrMessage(command, info, count, data, p1, p2);
  }

  #read(m: CaMessage): void {
    const ch = this.#channels.get(m.p1);
    if (ch === undefined) { this.#error(m, Eca.BADCHID, 'no channel with that server id'); return; }
    const reply = this.#encode(m.command, ch.pv, m.dataType, m.dataCount, m.command === Cmd.READ ? m.p1 : Eca.NORMAL, m.p2);
    if (typeof reply !== 'number') { this.#send(reply); return; }
    if (m.command === Cmd.READ_NOTIFY) this.#send(encodeMessage(Cmd.READ_NOTIFY, m.dataType, m.dataCount, reply, m.p2));
    else this.#error(m, reply, `read of ${ch.pv.name} failed`);
  }

  #write(m: CaMessage): void {
    const ch = this.#channels.get(m.p1);
    const notify = m.command === Cmd.WRITE_NOTIFY;
    const reply = (status: number, text: string): void => {
      if (notify) this.#send(encodeMessage(Cmd.WRITE_NOTIFY, m.dataType, m.dataCount, status, m.p2));
      else if (status !== Eca.NORMAL) this.#error(m, status, text);
    };
    if (ch === undefined) { reply(Eca.BADCHID, 'no channel with that server id'); return; }
    if (!ch.pv.writable) { reply(Eca.NOWTACCESS, `${ch.pv.name} is read-only`); return; }
    const info = dbrInfo(m.dataType);
    if (info === null || info.form !== 'plain') { reply(Eca.BADTYPE, `cannot write DBR type ${m.dataType}`); return; }
    if (m.dataCount > ch.pv.maxCount) { reply(Eca.BADCOUNT, `${ch.pv.name} holds at most ${ch.pv.maxCount} elements, got ${m.dataCount}`); return; }
    const values = readDbr(m.payload, info, m.dataCount).value;
    ch.pv.put(values, info.base).then(
      () => { reply(Eca.NORMAL, ''); this.#flush(); },
      (e: unknown) => { reply(Eca.PUTFAIL, e instanceof Error ? e.message : String(e)); this.#flush(); },
    );
  }

  #subscribe(m: CaMessage): void {
    const ch = this.#channels.get(m.p1);
    if (ch === undefined) { this.#error(m, Eca.BADCHID, 'no channel with that server id'); return; }
    const subid = m.p2;
    const mask = m.payload.length >= 14 ? m.payload.readUInt16BE(12) : 0;
    const send = (): void => {
      const reply = this.#encode(Cmd.EVENT_ADD, ch.pv, m.dataType, m.dataCount, Eca.NORMAL, subid);
      if (typeof reply !== 'number') this.#send(reply);
      else this.#send(encodeMessage(Cmd.EVENT_ADD, m.dataType, m.dataCount, reply, subid));
    };
    const stop = ch.pv.listen((changed) => {
      if ((changed & mask) === 0) return;
      if (this.#eventsOn && this.#socket.writableLength < HIGH_WATER) send();
      else this.#dirty.add(subid);
    });
    this.#unsubscribe(subid, false);
    this.#subs.set(subid, { sid: m.p1, dataType: m.dataType, count: m.dataCount, mask, stop });
    ch.subs.add(subid);
    send();
  }

  #unsubscribe(subid: number, reply: boolean): void {
    const sub = this.#subs.get(subid);
    if (sub === undefined) return;
    sub.stop();
    this.#subs.delete(subid);
    this.#dirty.delete(subid);
    this.#channels.get(sub.sid)?.subs.delete(subid);
    // rsrv confirms a cancel with an empty EVENT_ADD.
    if (reply) this.#send(encodeMessage(Cmd.EVENT_ADD, sub.dataType, 0, sub.sid, subid));
  }

  #clearChannel(m: CaMessage): void {
    const ch = this.#channels.get(m.p1);
    if (ch !== undefined) {
      for (const subid of [...ch.subs]) this.#unsubscribe(subid, false);
      this.#channels.delete(m.p1);
    }
    this.#send(encodeMessage(Cmd.CLEAR_CHANNEL, 0, 0, m.p1, m.p2));
  }

  /** Send the newest value of each held-back subscription once the client can take it. */
  #sendDirty(): void {
    if (!this.#eventsOn || this.#dirty.size === 0) return;
    for (const subid of [...this.#dirty]) {
      if (this.#socket.writableLength >= HIGH_WATER) break;
      this.#dirty.delete(subid);
      const sub = this.#subs.get(subid);
      const ch = sub === undefined ? undefined : this.#channels.get(sub.sid);
      if (sub === undefined || ch === undefined) continue;
      const reply = this.#encode(Cmd.EVENT_ADD, ch.pv, sub.dataType, sub.count, Eca.NORMAL, subid);
      if (typeof reply !== 'number') this.#send(reply);
    }
    this.#flush();
  }

  /** CA_PROTO_ERROR: a copy of the request's header and a message. */
  #error(m: CaMessage, status: number, text: string): void {
    const request = Buffer.alloc(16);
    writeHeader(request, 0, m.command, m.payload.length, m.dataType, Math.min(m.dataCount, 0xffff), m.p1, m.p2);
    const cid = this.#channels.get(m.p1)?.cid ?? m.p1;
    this.#send(encodeMessage(Cmd.ERROR, 0, 0, cid, status, Buffer.concat([request, stringPayload(text)])));
  }
}

/** The native DBR type number of a PV (its plain form). */
function typeNumber(pv: ServerPv): number {
  return dbrType(pv.type);
}
