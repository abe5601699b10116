/**
 * bluesky-dispatcher: the RunEngine and the shared vocabulary. Plans, devices
 * and the dispatcher have their own entry points (`bluesky-dispatcher/plans`,
 * `/devices`, `/dispatcher`, `/epics`), as their names overlap.
 * @module
 */
export * from './model/index.js';
export * from './engine/index.js';
export { VERSION } from './version.js';
