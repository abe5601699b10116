/** The audit log: who changed what, when, and how it went (recorded by the operation table). @module */
export { MemoryAuditLog, summariseParams, type AuditEntry, type AuditLog, type AuditQuery, type AuditRecord } from './audit-log.js';
export { SqliteAuditLog } from './sqlite-audit.js';
export { FACILITY, PgAuditLog } from './pg-audit.js';
export { RefusalLog, REFUSAL_BURST, REFUSAL_EVERY_MS, type Refused } from './refusals.js';
