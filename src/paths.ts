import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The checkout's root: the nearest ancestor holding `specs/`. Resolved from this
 * file so it works both from `src/` (ts-jest, tsx) and from `dist/src/` (the CLI).
 */
function findProjectRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(path.join(dir, 'specs')) && existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`refreshd: cannot find the project root (a folder with specs/) above ${start}`);
    dir = parent;
  }
}

export const PROJECT_ROOT = findProjectRoot(__dirname);
/** The project's own documents: the five apis and the admin api (`--specs-dir` may name another folder for the apis). */
export const SPECS_DIR = path.join(PROJECT_ROOT, 'specs');
export const OVERLAYS_DIR = path.join(SPECS_DIR, 'overlays');
export const GENERATED_DIR = path.join(PROJECT_ROOT, 'generated');
