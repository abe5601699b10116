/** Protocol v1: the Python dispatcher's websocket frames, answered in its exact words. @module */
export { V1Session, CLOSE_NORMAL } from './session.js';
export type { V1Connection, V1Hooks } from './session.js';
export * as replies from './replies.js';
export { pyJson, pyJsonString, pyNumber, pyStrRepr, pyExceptionRepr, pyUtcDatetime } from './python-format.js';
