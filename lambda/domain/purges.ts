import { deleteWithLeaves } from './blobs';
import { failpoint } from './failpoints';
import type { Services } from './services';
import type { ArchiveRecord, PurgeTask } from './ports';

async function deleteArchiveBytes(svc: Services, archive: ArchiveRecord): Promise<void> {
  const { layout } = archive;
  if (layout.kind === 'blob') return deleteWithLeaves(svc.blobs, [layout.blobKey]);
  for (let chunk = 0; chunk < layout.chunks; chunk += 1) {
    await deleteWithLeaves(
      svc.blobs,
      (await svc.uploads.getSegments(archive.accountId, archive.vaultName, archive.archiveId, chunk)) ?? [],
    );
  }
  await svc.uploads.deleteSegments(archive.accountId, archive.vaultName, archive.archiveId, layout.chunks);
}

/** Chunks are numbered from 0 without gaps: the first one missing ends the snapshot. */
async function countChunks(svc: Services, task: { accountId: string; vaultName: string; inventoryId: string }): Promise<number> {
  let count = 0;
  while (await svc.metadata.getInventoryChunk(task.accountId, task.vaultName, task.inventoryId, count)) count += 1;
  return count;
}

async function run(svc: Services, task: PurgeTask): Promise<void> {
  switch (task.kind) {
    case 'archive-bytes': {
      const archive = await svc.metadata.getArchive(task.accountId, task.vaultName, task.archiveId);
      // Only a deleted archive's bytes go: a task left by a delete that crashed before it was recorded does nothing.
      if (archive?.deletedDate) await deleteArchiveBytes(svc, archive);
      return;
    }
    case 'blob':
      return svc.blobs.delete(task.blobKey);
    case 'unreferenced-blob': {
      // Once recorded, the archive's bytes are its own: a delete of it queues their removal. An
      // import retried after a crash records its archive with bytes under another key.
      const archive = await svc.metadata.getArchive(task.accountId, task.vaultName, task.archiveId);
      if (!archive || (archive.layout.kind === 'blob' && archive.layout.blobKey !== task.blobKey))
        await deleteWithLeaves(svc.blobs, [task.blobKey]);
      return;
    }
    case 'inventory': {
      const vault = await svc.metadata.getVault(task.accountId, task.vaultName);
      if (vault?.inventory?.id === task.inventoryId) return;
      return svc.metadata.deleteInventoryChunks(
        task.accountId,
        task.vaultName,
        task.inventoryId,
        task.chunks ?? (await countChunks(svc, task)),
      );
    }
  }
}

/** The janitor's pass over deferred deletions that are due; each is idempotent, so a crash only repeats one. */
export async function runDuePurges(svc: Services): Promise<number> {
  let done = 0;
  let cursor: string | undefined;
  do {
    const page = await svc.purges.listDue(svc.now().getTime(), cursor);
    for (const { handle, task } of page.items) {
      await run(svc, task);
      failpoint('janitor:after-purge-task');
      await svc.purges.remove(handle);
      done += 1;
    }
    cursor = page.cursor;
  } while (cursor);
  return done;
}
