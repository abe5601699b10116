/** The shared vocabulary: messages, plans, errors, Status, device protocols, documents. @module */
export * from './msg.js';
export * from './errors.js';
export * from './status.js';
export * from './protocols.js';
export * from './documents.js';
export * from './clock.js';
export * from './timers.js';
export { validateDocument, documentErrors } from './validate.js';
export * from './python-repr.js';
export { DOCUMENT_JSON, keepMemo, memoOf, takeMemo } from './memo.js';
export { Serial } from './serial.js';
