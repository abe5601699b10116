/** Temporary data directories under os.tmpdir(), removed by `cleanup`. @module */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class TempDirs {
  readonly #dirs: string[] = [];
  make(): string {
    const dir = mkdtempSync(join(tmpdir(), 'bluesky-store-test-'));
    this.#dirs.push(dir);
    return dir;
  }
  cleanup(): void {
    for (const d of this.#dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}
