/**
 * How an operation of the table becomes an HTTP route (docs/api.md): its path
 * is `/api/` and its name with dots as slashes (`runs.list` → `/api/runs/list`);
 * an op that only reports (`effect: read`) is `GET` with its params in the
 * query string (and also `POST` with a JSON body, for params a query string
 * cannot hold, like `validate`'s); an op that changes something is `POST` only.
 * @module
 */
import type { OpDef } from '../ops/index.js';

export const API_PREFIX = '/api';

/** `/api/runs/list` for `runs.list`. */
export function pathOf(name: string): string { return `${API_PREFIX}/${name.split('.').join('/')}`; }

/** The op name a path under /api/ would name (`/api/runs/list` → `runs.list`), for `unknown_op`. */
export function opNameOf(path: string): string {
  return path.replace(/^\/api\/?/, '').replace(/\/+$/, '').split('/').join('.');
}

/** The methods an op's route answers. */
export function methodsOf(def: Pick<OpDef, 'effect'>): Array<'GET' | 'POST'> {
  return def.effect === 'read' ? ['GET', 'POST'] : ['POST'];
}
