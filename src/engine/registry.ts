/**
 * The command registry (bluesky _command_registry / register_command): a map
 * from command name to handler. A handler receives the message and returns the
 * plan's response (or a promise of it).
 * @module
 */
import type { Msg } from '../model/msg.js';

export type CommandHandler = (msg: Msg) => unknown;

export class CommandRegistry {
  readonly #handlers = new Map<string, CommandHandler>();

  /** Add or replace a command. */
  register(name: string, handler: CommandHandler): void {
    if (typeof name !== 'string' || name === '') throw new TypeError(`a command name must be a non-empty string, got ${JSON.stringify(name)}`);
    if (typeof handler !== 'function') throw new TypeError(`the handler for '${name}' must be a function (msg) => result`);
    this.#handlers.set(name, handler);
  }

  /** Remove a command; its messages then raise InvalidCommand. */
  unregister(name: string): void { this.#handlers.delete(name); }

  get(name: string): CommandHandler | undefined { return this.#handlers.get(name); }

  /** Registered names in registration order. */
  names(): string[] { return [...this.#handlers.keys()]; }
}
