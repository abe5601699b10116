/**
 * Who may knock: the browser-origin and Host rules for every HTTP request and
 * websocket upgrade (docs/security.md). A pure function of the request's
 * method, `Host` and `Origin` headers, the bound address and the operator's
 * allow lists, so any front end (node:http here, the HTTP API's fastify
 * routes) applies the same rules.
 *
 * - `Host` must name this server: its bound address, a loopback name when it
 *   is bound to loopback (localhost, 127.0.0.1, [::1]), or a `--allow-host`
 *   name. Anything else is 421: a page whose DNS name was re-pointed at us
 *   (DNS rebinding) sends its own name. A request without `Host` (HTTP/1.0
 *   scripts) passes: browsers always send one.
 * - `Origin`, when present (browsers send it on websocket upgrades and
 *   cross-origin requests), must be the server's own origin (same host and port
 *   as the request's `Host`) or a `--allow-origin` URL; otherwise 403. Requests
 *   without `Origin` (scripts, the Python dispatcher's clients) pass.
 * @module
 */
import { networkInterfaces, hostname } from 'node:os';

export interface FrontDoorRequest {
  method: string;
  /** The `Host` header as received (undefined when absent). */
  host: string | undefined;
  /** The `Origin` header as received (undefined when absent). */
  origin: string | undefined;
}

export interface FrontDoorPolicy {
  /** The address the server is bound to (e.g. 127.0.0.1, ::1, 0.0.0.0, a LAN address). */
  boundAddress: string;
  boundPort: number;
  /** Extra names `Host` may carry (`--allow-host`; for a wildcard bind also this machine's names and addresses). */
  allowHosts: readonly string[];
  /** Extra origins allowed (`--allow-origin`), as `scheme://host[:port]`. */
  allowOrigins: readonly string[];
}

export interface Refusal {
  status: 403 | 421;
  code: 'bad_origin' | 'bad_host';
  message: string;
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

/** True for addresses only this machine can reach. */
export function isLoopback(address: string): boolean {
  const a = unbracket(address.toLowerCase());
  return a === 'localhost' || a === '::1' || a.startsWith('127.') || a === '::ffff:127.0.0.1';
}

/** True for 0.0.0.0 / :: (every interface). */
export function isWildcard(address: string): boolean {
  const a = unbracket(address);
  return a === '0.0.0.0' || a === '::' || a === '';
}

/** null if the request may proceed, else the refusal to send (and log). */
export function checkFrontDoor(req: FrontDoorRequest, policy: FrontDoorPolicy): Refusal | null {
  const hostHeader = req.host?.trim();
  if (hostHeader !== undefined && hostHeader !== '') {
    const name = hostName(hostHeader);
    if (name === null || !hostAllowed(name, policy)) {
      return { status: 421, code: 'bad_host', message: `Host ${JSON.stringify(hostHeader)} does not name this server (bound to ${policy.boundAddress}); start it with --allow-host NAME to accept that name` };
    }
  }
  if (req.origin === undefined) return null;
  const origin = normalizeOrigin(req.origin);
  if (origin !== null) {
    if (policy.allowOrigins.some((o) => normalizeOrigin(o) === origin)) return null;
    // Same origin: the page was served by this server under the name the request uses.
    const own = hostHeader === undefined || hostHeader === '' ? null : `//${hostHeader.toLowerCase()}`;
    const rest = origin.replace(/^https?:/, '');
    if (own !== null && (rest === own || rest === own.replace(/:(80|443)$/, ''))) return null;
  }
  return { status: 403, code: 'bad_origin', message: `${req.method} from origin ${JSON.stringify(req.origin)} refused: only this server's own pages may use it; start it with --allow-origin URL to allow that page` };
}

/** `scheme://host[:port]`, lower-cased, default port dropped; null when not an http(s) origin. */
export function normalizeOrigin(origin: string): string | null {
  let u: URL;
  try { u = new URL(origin); } catch { return null; }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  return `${u.protocol}//${u.host.toLowerCase()}`;
}

/** The name part of a Host header ("name:port", "[v6]:port"), lower-cased; null when malformed. */
function hostName(host: string): string | null {
  const h = host.toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    if (end < 0) return null;
    const rest = h.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return null;
    return h.slice(1, end);
  }
  const m = /^([^:]+)(?::\d{1,5})?$/.exec(h);
  return m === null ? null : (m[1] ?? null);
}

function hostAllowed(name: string, policy: FrontDoorPolicy): boolean {
  const bound = unbracket(policy.boundAddress.toLowerCase());
  if (name === bound) return true;
  if ((isLoopback(bound) || isWildcard(bound)) && LOOPBACK_NAMES.includes(name)) return true;
  return policy.allowHosts.some((a) => unbracket(a.toLowerCase()) === name);
}

function unbracket(a: string): string {
  return a.startsWith('[') && a.endsWith(']') ? a.slice(1, -1) : a;
}

/**
 * The names a wildcard bind (0.0.0.0, ::) answers to without `--allow-host`:
 * this machine's host name and interface addresses (a rebinding page uses its
 * own DNS name, never one of these).
 */
export function localNames(): string[] {
  const names = [hostname().toLowerCase()];
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) names.push(i.address.toLowerCase());
  }
  return names;
}

/**
 * The warning printed when the server listens on a non-loopback address (null
 * on loopback). One place, so authentication (issue 12) can replace it.
 */
export function exposureWarning(boundAddress: string): string | null {
  if (isLoopback(boundAddress)) return null;
  const where = isWildcard(boundAddress) ? 'every network interface' : boundAddress;
  return `listening on ${where} WITHOUT authentication: anyone who can reach this port can start, pause, stop and abort plans (protocol v1 on /, v2 on /v2), read the run list and export every stored run (/api/runs), and see the web panel. Bind 127.0.0.1 (the default) unless the network is trusted; see docs/security.md`;
}
