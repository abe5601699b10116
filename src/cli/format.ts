/** Small display helpers shared by the CLI's commands. @module */

/** The first 8 characters of a uid: what the CLI prints, and enough for `runs show` / `runs export` (which take a unique prefix). */
export function shortUid(uid: string): string { return uid.slice(0, 8); }

/** Seconds since the epoch as ISO 8601 to the second (`2026-11-27T14:03:07Z`); null as `-`. */
export function isoTime(seconds: number | null): string {
  return seconds === null ? '-' : new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** Rows under a header, each column as wide as its widest cell, two spaces apart; one line each. */
export function textTable(head: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return `${[line(head), ...rows.map(line)].join('\n')}\n`;
}
