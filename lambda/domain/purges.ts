import type { Services } from './services';
import type { ArchiveRecord, PurgeTask } from '../store/ports';

async function deleteArchiveBytes(svc: Services, archive: ArchiveRecord): Promise<void> {
  const { layout } = archive;
  if (layout.kind === 'blob') return svc.blobs.delete(layout.blobKey);
  for (let chunk = 0; chunk < layout.chunks; chunk += 1) {
    await svc.blobs.deleteMany((await svc.uploads.getSegments(archive.accountId, archive.vaultName, archive.archiveId, chunk)) ?? []);
  }
  await svc.uploads.deleteSegments(archive.accountId, archive.vaultName, archive.archiveId, layout.chunks);
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
    case 'inventory':
      return svc.metadata.deleteInventoryChunks(task.accountId, task.vaultName, task.inventoryId, task.chunks);
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
      await svc.purges.remove(handle);
      done += 1;
    }
    cursor = page.cursor;
  } while (cursor);
  return done;
}
