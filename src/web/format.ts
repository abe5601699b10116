/** Small display helpers shared by the panel's views. @module */

/** The first 8 characters of a uid, for display (src/model/clock.ts shortUid makes uids; this only shows them). */
export function uidPrefix(uid: string | null | undefined): string { return uid == null ? '—' : uid.slice(0, 8); }

/** Seconds as `1:05` / `1:02:03`. */
export function duration(s: number | null | undefined): string {
  if (s == null || !Number.isFinite(s)) return '—';
  const t = Math.max(0, Math.round(s));
  const h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), sec = t % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${String(h)}:` : ''}${mm}:${String(sec).padStart(2, '0')}`;
}

/** Seconds since the epoch as local date and time. */
export function dateTime(s: number | null | undefined): string {
  if (s == null) return '—';
  const d = new Date(s * 1000);
  return `${d.toLocaleDateString()} ${d.toLocaleTimeString()}`;
}

/** A table cell: numbers to 6 significant digits, the rest as JSON. */
export function cell(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(6).replace(/\.?0+(e|$)/, '$1');
  if (typeof v === 'string') return v;
  return JSON.stringify(v) ?? '';
}

/** Seconds since the epoch as local `HH:MM:SS.mmm` (cheap: no Intl, for tables that change every frame). */
export function clock(s: number): string {
  const d = new Date(s * 1000);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}
