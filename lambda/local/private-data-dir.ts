// The data directory is its user's alone: 0700, and what is in it 0600 (0700 for directories).
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Directories whose files this process always creates private, so that a start need not walk them (they can be large). */
const CREATED_PRIVATE = new Set(['blobs']);

function tighten(path: string, top: boolean): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return;
  if (stat.isDirectory()) {
    if ((stat.mode & 0o777) !== 0o700) chmodSync(path, 0o700);
    for (const name of readdirSync(path)) if (!(top && CREATED_PRIVATE.has(name))) tighten(join(path, name), false);
  } else if ((stat.mode & 0o777 & ~0o600) !== 0) chmodSync(path, stat.mode & 0o600);
}

/** A data directory that can't be created or made private, with the system's reason. */
export class DataDirError extends Error {}

/**
 * Makes the data directory private to this user, and everything this process creates from now
 * on (the umask): the server's own files and those of the stores it runs.
 */
export function makeDataDirPrivate(dataDir: string): void {
  try {
    process.umask(0o077);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    tighten(dataDir, true);
  } catch (error) {
    throw new DataDirError(`Can't use ${dataDir} as the data directory: ${(error as Error).message}`);
  }
}
