/**
 * The operation table (every request/reply operation, declared once), its
 * error catalogue, and `invoke` for the protocol adapters (v1, v2, HTTP).
 * @module
 */
export { ANONYMOUS, SCOPES, defineOp, type Caller, type OpContext, type OpDef, type OpServices, type OpTypes, type Scope } from './define.js';
export { ERRORS, ERROR_CODES, OpError, badField, type ErrorBody, type ErrorCode, type ErrorDetail, type ErrorSpec } from './errors.js';
export * as catalogue from './errors.js';
export { OPERATIONS, operation, type OperationName, type Operations } from './table.js';
export { OPERATION_NAMES, invoke } from './invoke.js';
export { statusOf } from './engine-ops.js';
