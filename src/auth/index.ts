/**
 * Authentication and authorization (`serve --auth`, docs/api.md): API keys
 * with scopes, stored hashed (`KeyStore`: memory and SQLite), and the
 * `Authenticator` every protocol asks who a request acts for.
 * @module
 */
export { AuthError, type AuthErrorCode, KEY_PREFIX, type KeyRecord, checkName, hashKey, looksLikeKey, newKey, parseScopes } from './keys.js';
export { type KeyStore, MemoryKeyStore } from './key-store.js';
export { SqliteKeyStore } from './sqlite-key-store.js';
export { PgKeyStore } from './pg-key-store.js';
export { type AuthOptions, Authenticator, SESSION_COOKIE, SESSION_SECONDS, parseTrusted, trusted } from './authenticator.js';
