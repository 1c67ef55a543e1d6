// A crash at every failpoint of every write path: the operation stops there (nothing after it
// runs), then three things must hold. No archive is half-visible; a retry of the request gives
// what Glacier promises; and once the janitor has run a day later, no stored bytes are left
// that nothing refers to.
import { ARCHIVE_BYTES_GRACE_MS, deleteArchive, uploadArchive } from '../../lambda/domain/archives';
import { parseJobRequest } from '../../lambda/ops/job-parameters';
import { treeHash } from '../../lambda/domain/checksums';
import { FAILPOINTS, disableFailpoints, enableFailpoints, type FailpointName } from '../../lambda/domain/failpoints';
import { inventoryVault } from '../../lambda/domain/inventory';
import { runJanitor } from '../../lambda/domain/janitor';
import { JOB_OUTPUT_LIFETIME_MS, getJob, getJobOutput, initiateJob } from '../../lambda/domain/jobs';
import {
  UPLOAD_IDLE_MS,
  abortUpload,
  completeUpload,
  initiateUpload,
  listParts,
  listUploads,
  uploadBlobPrefix,
  uploadPart,
} from '../../lambda/domain/multipart';
import { createVault, deleteVault } from '../../lambda/domain/vaults';
import type { ArchiveRecord, VaultRecord } from '../../lambda/domain/ports';
import { MEMORY_JOB_DELAYS_MS, memoryServices, type MemoryServices } from '../support/memory-stores';
import { leavesKey, readAll } from '../../lambda/domain/blobs';
import { incoming } from '../support/incoming';
import { ACCOUNT } from '../support/domain-helpers';

const MiB = 1024 * 1024;
const VAULT = 'v';
/** Past every grace the janitor keeps: idle uploads, deleted archives' bytes, job output. */
const A_DAY_LATER = 24 * 60 * 60 * 1000 + 60_000;

/** Two parts of 1 MiB and a short last one, each part's bytes its own. */
const DATA = Buffer.concat([Buffer.alloc(MiB, 'part zero;'), Buffer.alloc(MiB, 'part one;'), Buffer.from('the end')]);
const hex = (bytes: Buffer) => treeHash(bytes).toString('hex');

class Crash extends Error {}

let svc: MemoryServices;

function putArchive(body: Buffer = DATA, description = 'single') {
  return uploadArchive(svc, {
    accountId: ACCOUNT,
    vaultName: VAULT,
    bytes: incoming(body),
    expectedTreeHash: hex(body),
    description,
  });
}

async function initiate(): Promise<string> {
  return (await initiateUpload(svc, { accountId: ACCOUNT, vaultName: VAULT, partSize: MiB, description: 'multipart' })).uploadId;
}

function sendPart(uploadId: string, index: number) {
  const body = DATA.subarray(index * MiB, (index + 1) * MiB);
  const range = `bytes ${index * MiB}-${index * MiB + body.length - 1}/*`;
  return uploadPart(svc, {
    accountId: ACCOUNT,
    vaultName: VAULT,
    uploadId,
    contentRange: range,
    bytes: incoming(body),
    expectedTreeHash: hex(body),
  });
}

async function sendAllParts(uploadId: string): Promise<void> {
  for (let index = 0; index * MiB < DATA.length; index += 1) await sendPart(uploadId, index);
}

const complete = (uploadId: string) =>
  completeUpload(svc, { accountId: ACCOUNT, vaultName: VAULT, uploadId, archiveSize: DATA.length, expectedTreeHash: hex(DATA) });

const vault = async () => (await svc.metadata.getVault(ACCOUNT, VAULT)) as VaultRecord;

async function allArchives(): Promise<ArchiveRecord[]> {
  const archives: ArchiveRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await svc.metadata.listArchives(ACCOUNT, VAULT, cursor);
    archives.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return archives;
}

const liveArchives = async () => (await allArchives()).filter((archive) => !archive.deletedDate);

/** The blob keys holding an archive's bytes, in order; a missing segment list is an error. */
async function blobKeysOf(archive: ArchiveRecord): Promise<string[]> {
  const { layout } = archive;
  if (layout.kind === 'blob') return [layout.blobKey];
  const keys: string[] = [];
  for (let chunk = 0; chunk < layout.chunks; chunk += 1) {
    const segment = await svc.uploads.getSegments(ACCOUNT, VAULT, archive.archiveId, chunk);
    if (!segment) throw new Error(`archive ${archive.archiveId} has no segment chunk ${chunk}`);
    keys.push(...segment);
  }
  if (keys.length !== layout.count) throw new Error(`archive ${archive.archiveId} lists ${keys.length} of its ${layout.count} parts`);
  return keys;
}

/** Archives whose bytes a job may still read: live ones, and deleted ones within their grace. */
function servable(archive: ArchiveRecord): boolean {
  return !archive.deletedDate || Date.parse(archive.deletedDate) + ARCHIVE_BYTES_GRACE_MS > svc.now().getTime();
}

/** Property 1: every archive, upload, inventory and job output that is visible has all its data. */
async function expectNothingHalfVisible(): Promise<void> {
  for (const archive of (await allArchives()).filter(servable)) {
    const bytes = Buffer.concat(await Promise.all((await blobKeysOf(archive)).map((key) => svc.blobs.bytes(key))));
    expect({ id: archive.archiveId, size: bytes.length, hash: hex(bytes) }).toEqual({
      id: archive.archiveId,
      size: archive.size,
      hash: archive.treeHash,
    });
  }
  const current = await svc.metadata.getVault(ACCOUNT, VAULT);
  if (!current) return;
  for (const upload of (await listUploads(svc, ACCOUNT, VAULT, undefined, 1000)).uploads) {
    for (const part of (await listParts(svc, ACCOUNT, VAULT, upload.uploadId, undefined, 1000)).parts) {
      expect(hex(svc.blobs.bytes(part.blobKey))).toBe(part.treeHash);
    }
  }
  if (current.inventory) {
    let entries = 0;
    for (let chunk = 0; chunk < current.inventory.chunks; chunk += 1) {
      const stored = await svc.metadata.getInventoryChunk(ACCOUNT, VAULT, current.inventory.id, chunk);
      expect(stored).toBeDefined();
      entries += stored?.length ?? 0;
    }
    expect(entries).toBe(current.inventory.numberOfArchives);
  }
  for (const job of (await svc.jobs.listJobs(ACCOUNT, VAULT, { status: 'Succeeded' }, undefined, 1000)).items) {
    if (
      job.action === 'InventoryRetrieval' &&
      job.outputKey &&
      Date.parse(job.completionDate ?? '') + JOB_OUTPUT_LIFETIME_MS >= svc.now().getTime()
    ) {
      expect(svc.blobs.bytes(job.outputKey).length).toBe(job.outputSize);
    }
  }
}

/**
 * Property 3: blobs no live archive, open upload, unexpired job output or deleted archive in
 * its grace refers to.
 */
async function orphanBlobs(): Promise<string[]> {
  const referenced = new Set<string>();
  // An archive's blobs, each with the leaf hashes kept beside it.
  for (const archive of (await allArchives()).filter(servable))
    for (const key of await blobKeysOf(archive)) referenced.add(key).add(leavesKey(key));
  const openPrefixes = (await svc.uploads.listUploads(ACCOUNT, VAULT, undefined, 1000)).items.map((upload) =>
    uploadBlobPrefix(ACCOUNT, upload.uploadId),
  );
  for (const job of (await svc.jobs.listJobs(ACCOUNT, VAULT, {}, undefined, 1000)).items) {
    if (
      job.action === 'InventoryRetrieval' &&
      job.outputKey &&
      Date.parse(job.completionDate ?? '') + JOB_OUTPUT_LIFETIME_MS >= svc.now().getTime()
    )
      referenced.add(job.outputKey);
  }
  return svc.blobs.keys().filter((key) => !referenced.has(key) && !openPrefixes.some((prefix) => key.startsWith(prefix)));
}

interface Scenario {
  /** State the operation starts from, made with no failpoint enabled. */
  prepare?: () => Promise<void>;
  /** The request (or janitor pass) the failpoint is in. */
  act: () => Promise<unknown>;
  /** The client's retry of the same request (or the next pass), and what it must give. */
  retry: () => Promise<void>;
}

const uploadArchiveScenario = (firstRecorded: boolean) => (): Scenario => ({
  act: () => putArchive(),
  retry: async () => {
    const second = await putArchive();
    const live = await liveArchives();
    // A new archive; the first attempt's is there (whole, as property 1 checks) only if it was recorded.
    expect(live.map((archive) => archive.archiveId)).toContain(second.archiveId);
    expect(live).toHaveLength(firstRecorded ? 2 : 1);
    expect((await vault()).lastWriteMs).toBeDefined();
  },
});

function uploadPartScenario(): Scenario {
  let uploadId = '';
  return {
    prepare: async () => {
      uploadId = await initiate();
      await sendPart(uploadId, 2);
      await sendPart(uploadId, 1);
    },
    act: () => sendPart(uploadId, 0),
    retry: async () => {
      expect(await sendPart(uploadId, 0)).toEqual({ treeHash: hex(DATA.subarray(0, MiB)) });
      const { parts } = await listParts(svc, ACCOUNT, VAULT, uploadId, undefined, 1000);
      expect(parts.map((part) => part.index)).toEqual([0, 1, 2]);
      const { archiveId } = await complete(uploadId);
      expect((await liveArchives()).map((archive) => archive.archiveId)).toEqual([archiveId]);
    },
  };
}

function completeScenario(): Scenario {
  let uploadId = '';
  return {
    prepare: async () => {
      uploadId = await initiate();
      await sendAllParts(uploadId);
    },
    act: () => complete(uploadId),
    retry: async () => {
      // Every point of Complete is past the reservation: the archive ID is settled.
      const reserved = (await svc.uploads.getUpload(ACCOUNT, VAULT, uploadId))?.reservedArchiveId;
      expect(reserved).toBeDefined();
      const again = await complete(uploadId);
      expect(again).toEqual(expect.objectContaining({ archiveId: reserved, treeHash: hex(DATA) }));
      expect((await complete(uploadId)).archiveId).toBe(reserved);
      expect((await liveArchives()).map((archive) => archive.archiveId)).toEqual([reserved]);
      expect((await listUploads(svc, ACCOUNT, VAULT, undefined, 1000)).uploads).toEqual([]);
    },
  };
}

function abortScenario(): Scenario {
  let uploadId = '';
  return {
    prepare: async () => {
      uploadId = await initiate();
      await sendAllParts(uploadId);
    },
    act: () => abortUpload(svc, ACCOUNT, VAULT, uploadId),
    retry: async () => {
      await expect(abortUpload(svc, ACCOUNT, VAULT, uploadId)).resolves.toBeUndefined();
      expect(await svc.blobs.list(uploadBlobPrefix(ACCOUNT, uploadId))).toEqual([]);
      expect((await listUploads(svc, ACCOUNT, VAULT, undefined, 1000)).uploads).toEqual([]);
    },
  };
}

function deleteArchiveScenario(): Scenario {
  let archiveId = '';
  return {
    prepare: async () => {
      archiveId = (await putArchive()).archiveId;
      svc.advance(1000);
    },
    act: () => deleteArchive(svc, ACCOUNT, VAULT, archiveId),
    retry: async () => {
      await expect(deleteArchive(svc, ACCOUNT, VAULT, archiveId)).resolves.toBeUndefined();
      expect((await svc.metadata.getArchive(ACCOUNT, VAULT, archiveId))?.deletedDate).toBeDefined();
      expect(await liveArchives()).toEqual([]);
    },
  };
}

function deleteVaultScenario(): Scenario {
  return {
    // An archive came and went, and an inventory since shows the vault empty.
    prepare: async () => {
      const { archiveId } = await putArchive();
      await deleteArchive(svc, ACCOUNT, VAULT, archiveId);
      svc.advance(1000);
      await inventoryVault(svc, await vault());
      svc.advance(1000);
    },
    act: () => deleteVault(svc, ACCOUNT, VAULT),
    retry: async () => {
      await expect(deleteVault(svc, ACCOUNT, VAULT)).resolves.toBeUndefined();
      expect(await svc.metadata.getVault(ACCOUNT, VAULT)).toBeUndefined();
    },
  };
}

function inventoryScenario(): Scenario {
  return {
    // A snapshot to replace, then two more archives and a delete.
    prepare: async () => {
      await putArchive(Buffer.from('one'));
      svc.advance(1000);
      await inventoryVault(svc, await vault());
      svc.advance(1000);
      await putArchive(Buffer.from('two'));
      const { archiveId } = await putArchive(Buffer.from('three'));
      await deleteArchive(svc, ACCOUNT, VAULT, archiveId);
      svc.advance(1000);
    },
    act: async () => inventoryVault(svc, await vault()),
    retry: async () => {
      svc.advance(60_000);
      const summary = await inventoryVault(svc, await vault());
      expect(summary).toEqual(expect.objectContaining({ numberOfArchives: 2, sizeInBytes: 6 }));
      expect((await vault()).inventory).toEqual(summary);
    },
  };
}

function jobScenario(): Scenario {
  let jobId = '';
  return {
    prepare: async () => {
      await putArchive(Buffer.from('listed'));
      svc.advance(1000);
      await inventoryVault(svc, await vault());
      const body = Buffer.from(JSON.stringify({ Type: 'inventory-retrieval', Tier: 'Standard' }));
      jobId = (await initiateJob(svc, ACCOUNT, VAULT, parseJobRequest(body))).jobId;
      svc.advance(MEMORY_JOB_DELAYS_MS.Standard);
    },
    // DescribeJob completes a job whose time has come.
    act: () => getJob(svc, ACCOUNT, VAULT, jobId),
    retry: async () => {
      expect((await getJob(svc, ACCOUNT, VAULT, jobId)).status).toBe('Succeeded');
      const output = JSON.parse((await readAll((await getJobOutput(svc, ACCOUNT, VAULT, jobId)).body)).toString()) as {
        ArchiveList: unknown[];
      };
      expect(output.ArchiveList).toHaveLength(1);
    },
  };
}

function janitorPurgeScenario(): Scenario {
  let archiveId = '';
  return {
    prepare: async () => {
      archiveId = (await putArchive()).archiveId;
      await deleteArchive(svc, ACCOUNT, VAULT, archiveId);
      svc.advance(ARCHIVE_BYTES_GRACE_MS);
    },
    act: () => runJanitor(svc),
    retry: async () => {
      await runJanitor(svc);
      expect(svc.purges.pending()).toEqual([]);
      expect(svc.blobs.keys()).toEqual([]);
    },
  };
}

function janitorIdleUploadScenario(): Scenario {
  let uploadId = '';
  return {
    prepare: async () => {
      uploadId = await initiate();
      await sendPart(uploadId, 0);
      svc.advance(UPLOAD_IDLE_MS + 1);
    },
    act: () => runJanitor(svc),
    retry: async () => {
      expect((await runJanitor(svc)).uploads).toBe(1);
      expect(await svc.uploads.getUpload(ACCOUNT, VAULT, uploadId)).toBeUndefined();
      expect(svc.blobs.keys()).toEqual([]);
    },
  };
}

/** Every failpoint has a scenario: the compiler sees to that. */
const SCENARIOS: Record<FailpointName, () => Scenario> = {
  'upload-archive:after-stage': uploadArchiveScenario(false),
  'upload-archive:after-blob': uploadArchiveScenario(false),
  'upload-archive:after-first-stamp': uploadArchiveScenario(false),
  'upload-archive:after-record': uploadArchiveScenario(true),
  'upload-archive:after-second-stamp': uploadArchiveScenario(true),
  'upload-part:after-stage': uploadPartScenario,
  'upload-part:after-blob': uploadPartScenario,
  'upload-part:after-record': uploadPartScenario,
  'complete-upload:after-reserve': completeScenario,
  'complete-upload:after-segments': completeScenario,
  'complete-upload:after-first-stamp': completeScenario,
  'complete-upload:after-record': completeScenario,
  'complete-upload:after-second-stamp': completeScenario,
  'complete-upload:after-mark-completed': completeScenario,
  'abort-upload:after-mark-aborted': abortScenario,
  'abort-upload:after-blob-deletion': abortScenario,
  'delete-archive:after-schedule': deleteArchiveScenario,
  'delete-archive:after-tombstone': deleteArchiveScenario,
  'delete-vault:after-delete': deleteVaultScenario,
  'delete-vault:before-chunk-deletion': deleteVaultScenario,
  'inventory:after-chunks': inventoryScenario,
  'inventory:after-commit': inventoryScenario,
  'inventory:after-schedule-old': inventoryScenario,
  'job:after-output': jobScenario,
  'job:after-finish': jobScenario,
  'janitor:after-purge-task': janitorPurgeScenario,
  'janitor:after-abort-idle': janitorIdleUploadScenario,
};

/** Enables a crash at `target`, the first time it is reached; returns the points reached. */
function crashAt(target: FailpointName): Set<FailpointName> {
  const reached = new Set<FailpointName>();
  enableFailpoints((name) => {
    const first = !reached.has(target);
    reached.add(name);
    if (name === target && first) throw new Crash(`crash at ${name}`);
  });
  return reached;
}

beforeEach(async () => {
  svc = memoryServices();
  await createVault(svc, ACCOUNT, VAULT);
  svc.advance(1000);
});

afterEach(() => disableFailpoints());

describe.each(FAILPOINTS)('a crash at %s', (name) => {
  it('leaves nothing half-visible; a retry succeeds; after the janitor no bytes are left unreferenced', async () => {
    const scenario = SCENARIOS[name]();
    await scenario.prepare?.();
    const reached = crashAt(name);

    await expect(scenario.act()).rejects.toBeInstanceOf(Crash);
    expect(reached.has(name)).toBe(true);
    await expectNothingHalfVisible();

    await scenario.retry();
    await expectNothingHalfVisible();

    svc.advance(A_DAY_LATER);
    await runJanitor(svc);
    await expectNothingHalfVisible();
    expect(await orphanBlobs()).toEqual([]);
  });
});

describe.each(FAILPOINTS.filter((name) => name.startsWith('complete-upload:')))('a crash at %s never retried', (name) => {
  it('is finished by the janitor: the reserved archive is whole, and its upload and stray bytes are gone', async () => {
    const uploadId = await initiate();
    await sendAllParts(uploadId);
    crashAt(name);
    await expect(complete(uploadId)).rejects.toBeInstanceOf(Crash);
    const reserved = (await svc.uploads.getUpload(ACCOUNT, VAULT, uploadId))?.reservedArchiveId;

    svc.advance(A_DAY_LATER);
    await runJanitor(svc);
    expect((await liveArchives()).map((archive) => archive.archiveId)).toEqual([reserved]);
    expect(await svc.uploads.getUpload(ACCOUNT, VAULT, uploadId)).toBeUndefined();
    await expectNothingHalfVisible();
    expect(await orphanBlobs()).toEqual([]);
  });
});

describe('the failpoints', () => {
  it('are each named once', () => {
    expect(new Set(FAILPOINTS).size).toBe(FAILPOINTS.length);
  });

  it('do nothing unless enabled', async () => {
    const { archiveId } = await putArchive();
    expect((await liveArchives()).map((archive) => archive.archiveId)).toEqual([archiveId]);
  });
});
