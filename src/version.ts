/** The package version (kept in step with package.json by a test). @module */
export const VERSION = '0.1.0';
/** The event-model schema version the documents are validated against. */
export const EVENT_MODEL_VERSION = '1.24.0';
