import { chmodSync, closeSync, existsSync, fchmodSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';

/**
 * What refreshd keeps under --data-dir is secret (the generated signing key) or holds token
 * records (the SQLite database): owner-only, whatever the umask. A mode given to mkdir or open
 * is narrowed by the umask (0o277 would leave a directory the owner cannot write), so every
 * directory and file created here is chmod-ed to its mode as well.
 */
export const PRIVATE_DIRECTORY_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates `dir` and any missing parent, each 0700. Directories that already exist keep their mode. */
export function ensurePrivateDirectory(dir: string): void {
  const missing: string[] = [];
  for (let current = path.resolve(dir); !existsSync(current); current = path.dirname(current)) missing.unshift(current);
  for (const directory of missing) {
    try {
      mkdirSync(directory, { mode: PRIVATE_DIRECTORY_MODE });
    } catch (error) {
      // Another process (a second worker, the sessions CLI) created it first.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      continue;
    }
    chmodSync(directory, PRIVATE_DIRECTORY_MODE);
  }
}

/** Opens a new file with `flags` (one that creates: `wx`, `a`…), 0600 whatever the umask; returns the descriptor. */
export function openPrivateFile(file: string, flags: string): number {
  const fd = openSync(file, flags, PRIVATE_FILE_MODE);
  try {
    fchmodSync(fd, PRIVATE_FILE_MODE);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return fd;
}

/**
 * Creates `file` empty and 0600 unless it exists. SQLite then creates the database's -wal and
 * -shm files with the database file's mode (and undoes the umask itself).
 */
export function ensurePrivateFile(file: string): void {
  if (existsSync(file)) return;
  closeSync(openPrivateFile(file, 'a'));
}
