// `coldvault import`: copies a vault from a Glacier-API endpoint, keeping every archive's ID,
// description, creation date, size and tree hash. Resumable: every step is recorded in a state
// file, and the destination's own records say what is already there.
import { existsSync, readFileSync } from 'node:fs';
import { MiB } from '../domain/checksums';
import { FREE_TIER_BYTES_PER_MONTH } from '../domain/retrieval-policy';
import { createVault } from '../domain/vaults';
import type { Services } from '../domain/services';
import { downloadArchive, GlacierSource, parseInventory, type InventoryArchive, type SourceInventory } from './glacier-source';
import { budgetAllows, inventoryPathOf, loadState, pruneRetrievals, saveFile, saveState, type ImportState } from './import-state';
import { isRecorded, writeImportedArchive } from './import-writer';
import { formatBytes, type ImportProgress } from './import-progress';

export interface ImportOptions {
  source: GlacierSource;
  /** The destination. */
  accountId: string;
  vaultName: string;
  statePath: string;
  inventoryFile?: string;
  tier: 'Bulk' | 'Standard' | 'Expedited';
  bytesPerDay?: number;
  snsTopic?: string;
  pollMs: number;
  /** Bytes per GetJobOutput request (a power of two MiB). */
  rangeBytes: number;
  /** Retrieval jobs waiting at the source at most (their outputs expire a day after they complete). */
  maxJobs: number;
}

export interface ImportSummary {
  archives: number;
  imported: number;
  alreadyThere: number;
  failed: { archiveId: string; error: string }[];
}

/** Attempts per archive in one run (downloads that failed verification, jobs that failed) before it is reported. */
export const ARCHIVE_ATTEMPTS = 3;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function errorName(error: unknown): string {
  return (error as { name?: string }).name ?? '';
}

async function obtainInventory(options: ImportOptions, state: ImportState, progress: ImportProgress): Promise<SourceInventory> {
  const saved = inventoryPathOf(options.statePath);
  if (options.inventoryFile) {
    const inventory = parseInventory(readFileSync(options.inventoryFile, 'utf8'));
    saveFile(saved, JSON.stringify(inventory));
    return inventory;
  }
  if (existsSync(saved)) return parseInventory(readFileSync(saved, 'utf8'));
  for (;;) {
    if (!state.inventoryJob) {
      state.inventoryJob = { jobId: await options.source.initiateInventory(options.snsTopic), startedMs: Date.now() };
      saveState(options.statePath, state);
      progress.note(`Started inventory job ${state.inventoryJob.jobId} on the source (Glacier takes about 4 hours)`);
    }
    const job = await options.source.jobState(state.inventoryJob.jobId);
    if (job.status === 'Succeeded') {
      const inventory = parseInventory(await options.source.inventoryOutput(state.inventoryJob.jobId));
      saveFile(saved, JSON.stringify(inventory));
      delete state.inventoryJob;
      saveState(options.statePath, state);
      return inventory;
    }
    if (job.status === 'Failed') throw new Error(`The source's inventory job failed: ${job.message}`);
    if (job.status === 'Gone') {
      delete state.inventoryJob;
      continue;
    }
    await sleep(options.pollMs);
  }
}

/** The daily budget: --bytes-per-day, within what the source's data retrieval policy allows. */
async function dailyBudget(options: ImportOptions, progress: ImportProgress): Promise<number | undefined> {
  let policy;
  try {
    policy = await options.source.retrievalPolicy();
  } catch (error) {
    progress.note(`Could not read the source's data retrieval policy (${errorName(error) || String(error)}); using --bytes-per-day alone`);
    return options.bytesPerDay;
  }
  const limits = [options.bytesPerDay];
  // Glacier applies a data retrieval policy to Standard retrievals only.
  const applies = options.tier === 'Standard' && policy.strategy !== 'None';
  if (applies && policy.strategy === 'BytesPerHour') limits.push(policy.bytesPerHour * 24);
  if (applies && policy.strategy === 'FreeTier') limits.push(Math.floor(FREE_TIER_BYTES_PER_MONTH / 31));
  const defined = limits.filter((limit): limit is number => limit !== undefined);
  if (applies)
    progress.note(`The source's data retrieval policy is ${policy.strategy}: at most ${formatBytes(Math.min(...defined))} a day`);
  return defined.length === 0 ? undefined : Math.min(...defined);
}

/** Copies the vault; returns what it did. Throws only for what stops the whole import. */
export async function runImport(svc: Services, options: ImportOptions, progress: ImportProgress): Promise<ImportSummary> {
  const state = loadState(options.statePath, {
    vaultName: options.source.options.vaultName,
    accountId: options.source.options.accountId,
    ...(options.source.options.endpoint && { endpoint: options.source.options.endpoint }),
  });
  const inventory = await obtainInventory(options, state, progress);
  await createVault(svc, options.accountId, options.vaultName);

  const where = { accountId: options.accountId, vaultName: options.vaultName };
  const archives = inventory.ArchiveList;
  const summary: ImportSummary = { archives: archives.length, imported: 0, alreadyThere: 0, failed: [] };
  const entryOf = (id: string) => (state.archives[id] ??= {});
  for (const archive of archives) {
    const entry = entryOf(archive.ArchiveId);
    delete entry.failures;
    delete entry.lastError;
    // The destination's records, not the state file, say what is there: the file may be another destination's.
    if (!(await isRecorded(svc, { ...where, archiveId: archive.ArchiveId }))) delete entry.done;
    else entry.done ??= 'already-there';
  }
  saveState(options.statePath, state);

  const pending = () =>
    archives.filter((a) => !state.archives[a.ArchiveId].done && (state.archives[a.ArchiveId].failures ?? 0) < ARCHIVE_ATTEMPTS);
  const bytesTotal = archives.reduce((sum, a) => sum + a.Size, 0);
  const figures = () => {
    const done = archives.filter((a) => state.archives[a.ArchiveId].done);
    return {
      archivesDone: done.length,
      archivesTotal: archives.length,
      bytesDone: done.reduce((sum, a) => sum + a.Size, 0),
      bytesTotal,
      // An archive given up on in this run keeps its job for the next run, but is not waiting on it.
      jobsWaiting: pending().filter((a) => state.archives[a.ArchiveId].job).length,
    };
  };
  if (pending().length === 0) {
    summary.alreadyThere = archives.filter((a) => state.archives[a.ArchiveId].done).length;
    return summary;
  }

  const budget = await dailyBudget(options, progress);
  let startsPausedUntil = 0;
  progress.start(figures());

  const fail = (archive: InventoryArchive, error: string) => {
    const entry = entryOf(archive.ArchiveId);
    entry.failures = (entry.failures ?? 0) + 1;
    entry.lastError = error;
    progress.note(`${archive.ArchiveId}: ${error} (attempt ${entry.failures} of ${ARCHIVE_ATTEMPTS})`);
  };

  while (pending().length > 0) {
    let moved = false;
    const now = Date.now();
    state.retrievals = pruneRetrievals(state.retrievals, now);

    // Start jobs for archives that have none, within the budget and the number of jobs waiting.
    if (now >= startsPausedUntil) {
      for (const archive of pending()) {
        const entry = entryOf(archive.ArchiveId);
        if (entry.job) continue;
        if (figures().jobsWaiting >= options.maxJobs) break;
        const allowed = budgetAllows(state.retrievals, now, archive.Size, budget);
        if (!allowed.ok) {
          startsPausedUntil = allowed.retryAtMs;
          progress.note(`Daily retrieval budget spent: the next job starts at ${new Date(allowed.retryAtMs).toISOString()}`);
          break;
        }
        try {
          const jobId = await options.source.initiateRetrieval(archive.ArchiveId, options.tier, options.snsTopic);
          entry.job = { jobId, startedMs: now };
          state.retrievals.push({ startedMs: now, bytes: archive.Size });
        } catch (error) {
          if (errorName(error) === 'PolicyEnforcedException') {
            startsPausedUntil = now + 60 * 60 * 1000;
            progress.note(`The source's data retrieval policy refused a job: trying again at ${new Date(startsPausedUntil).toISOString()}`);
            break;
          }
          // Glacier's answer to an Expedited job when it has no capacity for it now: not the end of the import.
          if (errorName(error) === 'InsufficientCapacityException') {
            startsPausedUntil = now + options.pollMs;
            progress.note(`The source has no Expedited capacity for now: trying again at ${new Date(startsPausedUntil).toISOString()}`);
            break;
          }
          if (errorName(error) === 'ResourceNotFoundException') {
            fail(archive, `The source has no such archive any more: ${(error as Error).message}`);
            entry.failures = ARCHIVE_ATTEMPTS;
            continue;
          }
          throw error;
        }
        saveState(options.statePath, state);
        moved = true;
      }
    }

    // Look at the jobs waiting; download and write the outputs that are ready, one at a time.
    for (const archive of pending()) {
      const entry = entryOf(archive.ArchiveId);
      if (!entry.job) continue;
      const job = await options.source.jobState(entry.job.jobId);
      if (job.status === 'InProgress') continue;
      moved = true;
      if (job.status === 'Gone') {
        progress.note(`${archive.ArchiveId}: the output of job ${entry.job.jobId} expired; starting another job`);
        delete entry.job;
      } else if (job.status === 'Failed') {
        delete entry.job;
        fail(archive, `The source's job failed: ${job.message}`);
      } else {
        let bytesSeen = 0;
        const base = figures();
        const jobId = entry.job.jobId;
        const body = downloadArchive(options.source, {
          jobId,
          size: archive.Size,
          treeHash: archive.SHA256TreeHash,
          rangeBytes: options.rangeBytes,
          onBytes: (count) => {
            bytesSeen += count;
            progress.update({ ...base, bytesDone: base.bytesDone + bytesSeen });
          },
        });
        try {
          entry.done = await writeImportedArchive(
            svc,
            {
              ...where,
              archiveId: archive.ArchiveId,
              description: archive.ArchiveDescription,
              creationDate: archive.CreationDate,
              size: archive.Size,
              treeHash: archive.SHA256TreeHash,
            },
            body,
          );
          delete entry.job;
          if (entry.done === 'recorded') summary.imported += 1;
          progress.note(`imported ${archive.ArchiveId} (${formatBytes(archive.Size)})`);
        } catch (error) {
          body.destroy();
          if (errorName(error) === 'ResourceNotFoundException') {
            progress.note(`${archive.ArchiveId}: the output of job ${jobId} expired; starting another job`);
            delete entry.job;
          } else {
            fail(archive, (error as Error).message);
          }
        }
      }
      saveState(options.statePath, state);
      progress.update(figures());
    }
    progress.update(figures());
    if (!moved) await sleep(Math.min(options.pollMs, Math.max(startsPausedUntil - Date.now(), 0) || options.pollMs));
  }
  progress.stop();

  for (const archive of archives) {
    const entry = state.archives[archive.ArchiveId];
    if (entry.done === 'already-there') summary.alreadyThere += 1;
    if (!entry.done) summary.failed.push({ archiveId: archive.ArchiveId, error: entry.lastError ?? 'not imported' });
  }
  return summary;
}

export interface VerifySummary {
  archives: number;
  matching: number;
  missing: string[];
  different: { archiveId: string; difference: string }[];
}

/** Compares the destination with the source's inventory, archive by archive: ID, size and tree hash. */
export async function verifyImport(
  svc: Services,
  accountId: string,
  vaultName: string,
  inventory: SourceInventory,
): Promise<VerifySummary> {
  const result: VerifySummary = { archives: inventory.ArchiveList.length, matching: 0, missing: [], different: [] };
  for (const archive of inventory.ArchiveList) {
    const record = await svc.metadata.getArchive(accountId, vaultName, archive.ArchiveId);
    if (!record || record.deletedDate) {
      result.missing.push(archive.ArchiveId);
      continue;
    }
    const differences: string[] = [];
    if (record.size !== archive.Size) differences.push(`size ${record.size}, not ${archive.Size}`);
    if (record.treeHash !== archive.SHA256TreeHash.toLowerCase())
      differences.push(`tree hash ${record.treeHash}, not ${archive.SHA256TreeHash}`);
    if (differences.length > 0) result.different.push({ archiveId: archive.ArchiveId, difference: differences.join('; ') });
    else result.matching += 1;
  }
  return result;
}

export const DEFAULT_RANGE_BYTES = 64 * MiB;
