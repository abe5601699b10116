/** Small display helpers shared by the CLI's commands. @module */

/** The first 8 characters of a uid: what the CLI prints, and enough for `runs show` / `runs export` (which take a unique prefix). */
export function shortUid(uid: string): string { return uid.slice(0, 8); }
