// The import's durable progress: one JSON file per destination vault, replaced atomically after
// every step, so that a rerun after Ctrl-C, a crash or a kill starts where the last one stopped.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface ArchiveProgress {
  /** The source's retrieval job for this archive, while it has one. */
  job?: { jobId: string; startedMs: number };
  /** Set once the archive is recorded at the destination (by this import or before it). */
  done?: 'recorded' | 'already-there';
  /** Downloads or jobs that failed in this run; at the limit, the archive is reported and left. */
  failures?: number;
  lastError?: string;
}

export interface ImportState {
  version: 1;
  source: { vaultName: string; accountId: string; endpoint?: string };
  /** The source's inventory job, until its output is saved next to this file. */
  inventoryJob?: { jobId: string; startedMs: number };
  /** Retrievals started, kept for a day: what the daily byte budget has spent. */
  retrievals: { startedMs: number; bytes: number }[];
  archives: Record<string, ArchiveProgress>;
}

export function inventoryPathOf(statePath: string): string {
  return statePath.replace(/\.json$/, '') + '.inventory.json';
}

export function loadState(path: string, source: ImportState['source']): ImportState {
  if (!existsSync(path)) return { version: 1, source, retrievals: [], archives: {} };
  const state = JSON.parse(readFileSync(path, 'utf8')) as ImportState;
  if (
    state.source.vaultName !== source.vaultName ||
    state.source.accountId !== source.accountId ||
    state.source.endpoint !== source.endpoint
  ) {
    throw new Error(
      `${path} holds the progress of an import from vault ${state.source.vaultName}${state.source.endpoint ? ` at ${state.source.endpoint}` : ''}: ` +
        'this destination vault is being filled from another source. Import into another vault, or remove that file.',
    );
  }
  return state;
}

/** Written to a temporary file, flushed, then renamed over the old one: a crash leaves one or the other. */
export function saveFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  const fd = openSync(temporary, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

export function saveState(path: string, state: ImportState): void {
  saveFile(path, JSON.stringify(state));
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The daily byte budget over a sliding day: whether a retrieval of `bytes` may start at `nowMs`,
 * and if not, when the spending that blocks it leaves the window. A retrieval larger than the
 * whole budget starts alone, once nothing else was started that day.
 */
export function budgetAllows(
  retrievals: ImportState['retrievals'],
  nowMs: number,
  bytes: number,
  bytesPerDay: number | undefined,
): { ok: true } | { ok: false; retryAtMs: number } {
  if (bytesPerDay === undefined) return { ok: true };
  const recent = retrievals.filter((r) => r.startedMs > nowMs - DAY_MS);
  const spent = recent.reduce((sum, r) => sum + r.bytes, 0);
  if (spent === 0 || spent + bytes <= bytesPerDay) return { ok: true };
  // The earliest moment enough of the day's spending has aged out.
  let freed = spent;
  for (const r of [...recent].sort((a, b) => a.startedMs - b.startedMs)) {
    freed -= r.bytes;
    if (freed === 0 || freed + bytes <= bytesPerDay) return { ok: false, retryAtMs: r.startedMs + DAY_MS };
  }
  return { ok: false, retryAtMs: nowMs + DAY_MS };
}

export function pruneRetrievals(retrievals: ImportState['retrievals'], nowMs: number): ImportState['retrievals'] {
  return retrievals.filter((r) => r.startedMs > nowMs - DAY_MS);
}
