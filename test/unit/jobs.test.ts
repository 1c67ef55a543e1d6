import { randomBytes } from 'node:crypto';
import type { S3Event } from 'aws-lambda';
import { parseJobFilter, parseJobRequest } from '../../lambda/ops/job-parameters';
import { ARCHIVE_BYTES_GRACE_MS, deleteArchive } from '../../lambda/domain/archives';
import { MiB, combineTreeHashes, sha256, treeHash } from '../../lambda/domain/checksums';
import { inventoryVault } from '../../lambda/domain/inventory';
import { CSV_HEADER, formatInventory } from '../../lambda/domain/inventory-output';
import { runJanitor } from '../../lambda/domain/janitor';
import {
  JOB_OUTPUT_LIFETIME_MS,
  completeDueJobs,
  describeJob,
  getJob,
  initiateJob,
  isTreeHashAligned,
  listJobs,
  sweepJobs,
} from '../../lambda/domain/jobs';
import { disableFailpoints, enableFailpoints } from '../../lambda/domain/failpoints';
import { SEGMENTS_PER_CHUNK, completeUpload, initiateUpload, uploadPart } from '../../lambda/domain/multipart';
import { getVaultNotifications, removeVaultNotifications, setVaultNotifications } from '../../lambda/domain/notifications';
import { createVault } from '../../lambda/domain/vaults';
import { handleRestoreEvent, objectKey } from '../../lambda/handlers/restore-events';
import type { InventoryEntry, InventoryRetrieval, JobRecord, VaultRecord } from '../../lambda/domain/ports';
import { MEMORY_JOB_DELAYS_MS, MemoryMetadataStore, memoryServices, type MemoryServices } from '../support/memory-stores';
import { incoming } from '../support/incoming';
import { leavesKey, putBytes } from '../../lambda/domain/blobs';
import { ACCOUNT, jobOutput, arn, interleave, upload } from './domain-helpers';

const START = Date.parse('2024-06-01T12:00:00.000Z');
const HOUR = 60 * 60 * 1000;
const BUCKET = 'coldvault-archives';
const VAULT_TOPIC = `arn:aws:sns:us-east-1:${ACCOUNT}:vault-topic`;
const JOB_TOPIC = `arn:aws:sns:us-east-1:${ACCOUNT}:job-topic`;

let svc: MemoryServices;

async function setUp(retrieval?: { kind: 'restore' }) {
  svc = memoryServices(new MemoryMetadataStore(), START, { retrieval });
  await createVault(svc, ACCOUNT, 'v');
  svc.advance(1000);
}

beforeEach(() => setUp());

const error = (code: string, message: string | RegExp) =>
  expect.objectContaining({ code, message: typeof message === 'string' ? message : expect.stringMatching(message) });
const invalid = (message: string | RegExp) => error('InvalidParameterValueException', message);
const jobNotFound = (jobId: string) => error('ResourceNotFoundException', `The job ID was not found: ${jobId}`);

async function initiate(params: Record<string, unknown>, vaultName = 'v'): Promise<string> {
  return (await initiateJob(svc, ACCOUNT, vaultName, parseJobRequest(Buffer.from(JSON.stringify(params))))).jobId;
}

const retrieve = (archiveId: string, extra: Record<string, unknown> = {}) =>
  initiate({ Type: 'archive-retrieval', ArchiveId: archiveId, ...extra });
const described = async (jobId: string) => describeJob(svc, await getJob(svc, ACCOUNT, 'v', jobId));
const stored = async (jobId: string) => (await svc.jobs.getJob(ACCOUNT, 'v', jobId)) as JobRecord;
/** A job's output, its streamed body read whole. */
async function output(jobId: string, range?: string) {
  return jobOutput(svc, 'v', jobId, range);
}

/** A multipart archive of `data` in 1 MiB parts; returns its ID and its parts' blob keys in order. */
async function uploadMultipart(data: Buffer): Promise<{ archiveId: string; partKeys: string[] }> {
  const { uploadId } = await initiateUpload(svc, { accountId: ACCOUNT, vaultName: 'v', partSize: MiB, description: 'multipart' });
  for (let start = 0; start < data.length; start += MiB) {
    const body = data.subarray(start, start + MiB);
    await uploadPart(svc, {
      accountId: ACCOUNT,
      vaultName: 'v',
      uploadId,
      contentRange: `bytes ${start}-${start + body.length - 1}/*`,
      bytes: incoming(body),
      expectedTreeHash: treeHash(body).toString('hex'),
    });
  }
  const { archiveId } = await completeUpload(svc, {
    accountId: ACCOUNT,
    vaultName: 'v',
    uploadId,
    archiveSize: data.length,
    expectedTreeHash: treeHash(data).toString('hex'),
  });
  return { archiveId, partKeys: (await svc.uploads.getSegments(ACCOUNT, 'v', archiveId, 0)) ?? [] };
}

/** S3 event keys are URL-encoded with '+' for a space; '/' is left as it is. */
const s3EventKey = (key: string) => encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');

/** An S3 event notification as S3 sends it, one record per key. */
function s3Event(keys: string[], eventName = 'ObjectRestore:Completed'): S3Event {
  return {
    Records: keys.map((key) => ({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventTime: svc.now().toISOString(),
      eventName,
      userIdentity: { principalId: 'AmazonCustomer:A1B2C3D4E5F6G7' },
      requestParameters: { sourceIPAddress: 's3.amazonaws.com' },
      responseElements: { 'x-amz-request-id': '7A9F2C1E4B8D3F60', 'x-amz-id-2': 'Zx1QvW0yT4hS8mN2pK6rJ3dL5cB7aE9gH0iU1oY4tR=' },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'coldvault-restore-completed',
        bucket: { name: BUCKET, ownerIdentity: { principalId: 'A3NL1KOZZKExample' }, arn: `arn:aws:s3:::${BUCKET}` },
        object: { key: s3EventKey(key), size: 1024, eTag: 'd41d8cd98f00b204e9800998ecf8427e', sequencer: '0066A1B2C3D4E5F601' },
      },
      glacierEventData: {
        restoreEventData: { lifecycleRestorationExpiryTime: '2024-06-04T00:00:00.000Z', lifecycleRestoreStorageClass: 'DEEP_ARCHIVE' },
      },
    })),
  };
}

const deliveries = () =>
  svc.notifier.deliveries.map((delivery) => ({ ...delivery, message: JSON.parse(delivery.message) as Record<string, unknown> }));

describe('tiers', () => {
  it.each(Object.entries(MEMORY_JOB_DELAYS_MS))(
    'a %s job completes only once its delay has passed, through the sweep',
    async (tier, delay) => {
      const body = randomBytes(1000);
      const { archiveId } = await upload(svc, 'v', body);
      const jobId = await retrieve(archiveId, { Tier: tier });
      expect(await described(jobId)).toEqual(
        expect.objectContaining({ Tier: tier, StatusCode: 'InProgress', Completed: false, CompletionDate: null }),
      );
      await expect(output(jobId)).rejects.toEqual(invalid(`The job is not currently available for download: ${jobId}`));

      svc.advance(delay - 1);
      expect(await completeDueJobs(svc)).toBe(0);
      expect((await stored(jobId)).status).toBe('InProgress');
      svc.advance(1);
      expect(await completeDueJobs(svc)).toBe(1);
      expect(await stored(jobId)).toEqual(expect.objectContaining({ status: 'Succeeded', completionDate: svc.now().toISOString() }));
      expect(await completeDueJobs(svc)).toBe(0);
      expect((await output(jobId)).body.equals(body)).toBe(true);
    },
  );

  it.each(Object.entries(MEMORY_JOB_DELAYS_MS))('a %s job is completed by DescribeJob once its delay has passed', async (tier, delay) => {
    const { archiveId } = await upload(svc, 'v', 'bytes');
    const jobId = await retrieve(archiveId, { Tier: tier });
    svc.advance(delay - 1);
    expect((await getJob(svc, ACCOUNT, 'v', jobId)).status).toBe('InProgress');
    svc.advance(1);
    const job = await getJob(svc, ACCOUNT, 'v', jobId);
    expect(job).toEqual(
      expect.objectContaining({ status: 'Succeeded', statusMessage: 'Succeeded', completionDate: svc.now().toISOString() }),
    );
    expect(await stored(jobId)).toEqual(job);
    expect(await completeDueJobs(svc)).toBe(0);
  });

  it('uses the Standard tier when none is given, and refuses an unknown one', async () => {
    const { archiveId } = await upload(svc, 'v', 'bytes');
    const jobId = await retrieve(archiveId);
    expect((await stored(jobId)).tier).toBe('Standard');
    expect((await stored(jobId)).readyAtMs).toBe(svc.now().getTime() + MEMORY_JOB_DELAYS_MS.Standard);
    await expect(retrieve(archiveId, { Tier: 'Fast' })).rejects.toEqual(invalid(/^Invalid Tier: Fast/));
  });

  it('completes the due jobs of every vault in one sweep, and ListJobs sees jobs whose time has come as completed', async () => {
    await createVault(svc, ACCOUNT, 'w');
    const inV = await upload(svc, 'v', 'in v');
    const inW = await upload(svc, 'w', 'in w');
    const expedited = await retrieve(inV.archiveId, { Tier: 'Expedited' });
    svc.advance(1);
    const bulk = await retrieve(inV.archiveId, { Tier: 'Bulk' });
    const other = await initiate({ Type: 'archive-retrieval', ArchiveId: inW.archiveId, Tier: 'Expedited' }, 'w');

    svc.advance(MEMORY_JOB_DELAYS_MS.Expedited);
    const completed = await listJobs(svc, ACCOUNT, 'v', { filter: parseJobFilter({ completed: 'true' }), limit: 50 });
    expect(completed.jobs.map((job) => job.jobId)).toEqual([expedited]);
    expect(
      (await listJobs(svc, ACCOUNT, 'v', { filter: parseJobFilter({ statuscode: 'InProgress' }), limit: 50 })).jobs.map((job) => job.jobId),
    ).toEqual([bulk]);
    expect(await completeDueJobs(svc)).toBe(1);
    expect((await svc.jobs.getJob(ACCOUNT, 'w', other))?.status).toBe('Succeeded');
  });
});

describe('expiry', () => {
  it('DescribeJob, GetJobOutput and ListJobs stop knowing a job 24 hours after it completed', async () => {
    const { archiveId } = await upload(svc, 'v', 'bytes');
    const jobId = await retrieve(archiveId, { Tier: 'Expedited' });
    svc.advance(MEMORY_JOB_DELAYS_MS.Expedited);
    expect(await completeDueJobs(svc)).toBe(1);

    svc.advance(JOB_OUTPUT_LIFETIME_MS);
    expect((await described(jobId)).StatusCode).toBe('Succeeded');
    expect((await output(jobId)).body.toString()).toBe('bytes');
    svc.advance(1);
    await expect(getJob(svc, ACCOUNT, 'v', jobId)).rejects.toEqual(jobNotFound(jobId));
    await expect(output(jobId)).rejects.toEqual(jobNotFound(jobId));
    expect((await listJobs(svc, ACCOUNT, 'v', { filter: {}, limit: 50 })).jobs).toEqual([]);
  });

  it('a failed job expires the same way', async () => {
    const { archiveId } = await upload(svc, 'v', 'bytes');
    await deleteArchive(svc, ACCOUNT, 'v', archiveId);
    const jobId = await retrieve(archiveId);
    svc.advance(JOB_OUTPUT_LIFETIME_MS);
    expect((await described(jobId)).StatusCode).toBe('Failed');
    svc.advance(1);
    await expect(getJob(svc, ACCOUNT, 'v', jobId)).rejects.toEqual(jobNotFound(jobId));
  });

  it('does not find a job through another vault, nor one that never existed', async () => {
    await createVault(svc, ACCOUNT, 'w');
    const { archiveId } = await upload(svc, 'v', 'bytes');
    const jobId = await retrieve(archiveId);
    await expect(getJob(svc, ACCOUNT, 'w', jobId)).rejects.toEqual(jobNotFound(jobId));
    await expect(getJob(svc, ACCOUNT, 'v', 'no-such-job')).rejects.toEqual(jobNotFound('no-such-job'));
    await expect(getJob(svc, ACCOUNT, 'ghost', jobId)).rejects.toEqual(
      error('ResourceNotFoundException', `Vault not found for ARN: ${arn('ghost')}`),
    );
  });
});

describe('deleting an archive', () => {
  const single = async (data: Buffer) => {
    const { archiveId } = await upload(svc, 'v', data);
    // With the leaf hashes kept beside a blob of more than 1 MiB.
    const blobKey = `${ACCOUNT}/archives/${archiveId}`;
    return { archiveId, blobKeys: [blobKey, leavesKey(blobKey)] };
  };
  const multipart = async (data: Buffer) => {
    const { archiveId, partKeys } = await uploadMultipart(data);
    return { archiveId, blobKeys: partKeys };
  };

  it.each([
    ['a single-blob archive', single],
    ['a multipart archive', multipart],
  ])(
    '%s: a job completed before the delete serves it until it expires; the janitor removes the bytes 24 h + 1 min after the delete',
    async (_what, store) => {
      const data = randomBytes(2 * MiB + 300);
      const { archiveId, blobKeys } = await store(data);
      const jobId = await retrieve(archiveId, { Tier: 'Expedited' });
      svc.advance(MEMORY_JOB_DELAYS_MS.Expedited);
      expect(await completeDueJobs(svc)).toBe(1);
      const completedAt = svc.now().getTime();

      svc.advance(10 * 60 * 1000);
      await deleteArchive(svc, ACCOUNT, 'v', archiveId);
      const deletedAt = svc.now().getTime();
      expect((await output(jobId)).body.equals(data)).toBe(true);
      const ranged = await output(jobId, `bytes=${MiB}-${2 * MiB - 1}`);
      expect(ranged.body.equals(data.subarray(MiB, 2 * MiB))).toBe(true);
      expect(ranged.headers['x-amz-sha256-tree-hash']).toBe(treeHash(data.subarray(MiB, 2 * MiB)).toString('hex'));

      // The last instant the job is known: it still serves the archive's bytes.
      svc.advance(completedAt + JOB_OUTPUT_LIFETIME_MS - svc.now().getTime());
      await runJanitor(svc);
      expect((await output(jobId)).body.equals(data)).toBe(true);
      svc.advance(1);
      await expect(output(jobId)).rejects.toEqual(jobNotFound(jobId));

      svc.advance(deletedAt + ARCHIVE_BYTES_GRACE_MS - 1 - svc.now().getTime());
      expect((await runJanitor(svc)).purges).toBe(0);
      expect(svc.blobs.keys().sort()).toEqual([...blobKeys].sort());
      svc.advance(1);
      expect((await runJanitor(svc)).purges).toBe(1);
      expect(svc.blobs.keys()).toEqual([]);
      expect(svc.uploads.segmentChunkCount()).toBe(0);
      expect(svc.purges.pending()).toEqual([]);
    },
  );

  it('a job started after the delete fails at once, with a message, and is notified', async () => {
    const { archiveId } = await upload(svc, 'v', 'bytes');
    svc.advance(1000);
    await deleteArchive(svc, ACCOUNT, 'v', archiveId);
    svc.advance(1000);
    const jobId = await retrieve(archiveId, { SNSTopic: JOB_TOPIC });
    const job = await described(jobId);
    expect(job).toEqual(
      expect.objectContaining({
        StatusCode: 'Failed',
        Completed: true,
        StatusMessage: `The archive ${archiveId} was deleted before this job was started.`,
        CompletionDate: svc.now().toISOString(),
        ArchiveId: archiveId,
      }),
    );
    await expect(output(jobId)).rejects.toEqual(invalid(`The job is not currently available for download: ${jobId}`));
    expect(deliveries()).toEqual([
      { topicArn: JOB_TOPIC, subject: 'Notification from Amazon Glacier: ArchiveRetrievalCompleted', message: job },
    ]);
    expect((await stored(jobId)).readyAtMs).toBeUndefined();
    expect(await completeDueJobs(svc)).toBe(0);
  });

  it('a job pending at the delete fails when it would have completed', async () => {
    const { archiveId } = await upload(svc, 'v', 'bytes');
    const swept = await retrieve(archiveId);
    const bulk = await retrieve(archiveId, { Tier: 'Bulk' });
    svc.advance(1000);
    await deleteArchive(svc, ACCOUNT, 'v', archiveId);

    svc.advance(MEMORY_JOB_DELAYS_MS.Standard - 1001);
    expect((await described(swept)).StatusCode).toBe('InProgress');
    svc.advance(1);
    expect(await completeDueJobs(svc)).toBe(1);
    expect(await stored(swept)).toEqual(
      expect.objectContaining({
        status: 'Failed',
        statusMessage: `The archive ${archiveId} was deleted before the job completed.`,
        completionDate: svc.now().toISOString(),
      }),
    );
    svc.advance(MEMORY_JOB_DELAYS_MS.Bulk - MEMORY_JOB_DELAYS_MS.Standard);
    expect(await described(bulk)).toEqual(
      expect.objectContaining({ StatusCode: 'Failed', StatusMessage: `The archive ${archiveId} was deleted before the job completed.` }),
    );
  });
});

describe('restore timing', () => {
  beforeEach(() => setUp({ kind: 'restore' }));

  it('asks S3 to restore the archive with the job tier for 2 days, and completes the job when the restore event arrives', async () => {
    const body = randomBytes(3000);
    const { archiveId } = await upload(svc, 'v', body);
    const blobKey = `${ACCOUNT}/archives/${archiveId}`;
    svc.blobs.answerRestores([blobKey], 'started');
    const jobId = await retrieve(archiveId, { Tier: 'Bulk', SNSTopic: JOB_TOPIC });
    expect(svc.blobs.restores).toEqual([{ key: blobKey, tier: 'Bulk', days: 2 }]);
    expect(await stored(jobId)).toEqual(expect.objectContaining({ status: 'InProgress', pendingRestores: 1 }));
    expect((await stored(jobId)).readyAtMs).toBeUndefined();

    // However long it takes, only the event completes it.
    svc.advance(48 * HOUR);
    expect(await completeDueJobs(svc)).toBe(0);
    expect((await described(jobId)).StatusCode).toBe('InProgress');
    expect(deliveries()).toEqual([]);

    expect(await handleRestoreEvent(svc, s3Event([blobKey]))).toEqual({ released: 1 });
    const job = await described(jobId);
    expect(job).toEqual(
      expect.objectContaining({
        StatusCode: 'Succeeded',
        CompletionDate: svc.now().toISOString(),
        SHA256TreeHash: treeHash(body).toString('hex'),
      }),
    );
    expect((await output(jobId)).body.equals(body)).toBe(true);
    expect(deliveries()).toEqual([expect.objectContaining({ topicArn: JOB_TOPIC, message: job })]);

    // S3 may report again: nothing changes.
    svc.advance(1000);
    expect(await handleRestoreEvent(svc, s3Event([blobKey, blobKey]))).toEqual({ released: 0 });
    expect(await described(jobId)).toEqual(job);
    expect(deliveries()).toHaveLength(1);
  });

  it('for a multipart archive, restores only the parts holding the RetrievalByteRange, and completes after the last of them', async () => {
    const data = randomBytes(4 * MiB + 100);
    const { archiveId, partKeys } = await uploadMultipart(data);
    expect(partKeys).toHaveLength(5);
    svc.blobs.answerRestores(partKeys, 'started');
    const jobId = await retrieve(archiveId, { RetrievalByteRange: `${2 * MiB}-${4 * MiB - 1}`, Tier: 'Expedited' });
    expect([...svc.blobs.restores].sort((a, b) => a.key.localeCompare(b.key))).toEqual(
      [partKeys[2], partKeys[3]].sort().map((key) => ({ key, tier: 'Expedited', days: 2 })),
    );
    expect((await stored(jobId)).pendingRestores).toBe(2);

    expect(await handleRestoreEvent(svc, s3Event([partKeys[3]]))).toEqual({ released: 0 });
    // Parts outside the range are nothing to this job.
    expect(await handleRestoreEvent(svc, s3Event([partKeys[0], partKeys[1], partKeys[4]]))).toEqual({ released: 0 });
    expect((await described(jobId)).StatusCode).toBe('InProgress');
    expect(await handleRestoreEvent(svc, s3Event([partKeys[3]]))).toEqual({ released: 0 });
    expect((await described(jobId)).StatusCode).toBe('InProgress');

    expect(await handleRestoreEvent(svc, s3Event([partKeys[2]]))).toEqual({ released: 1 });
    const job = await described(jobId);
    expect(job).toEqual(
      expect.objectContaining({
        StatusCode: 'Succeeded',
        RetrievalByteRange: `${2 * MiB}-${4 * MiB - 1}`,
        SHA256TreeHash: treeHash(data.subarray(2 * MiB, 4 * MiB)).toString('hex'),
      }),
    );
    expect((await output(jobId)).body.equals(data.subarray(2 * MiB, 4 * MiB))).toBe(true);
  });

  it('finds the parts of an archive whose part list spans several segment chunks', async () => {
    // 1,500 parts of 1 MiB: recorded by hand, with tiny blobs, as only the keys matter here.
    const count = 1500;
    const keys = Array.from({ length: count }, (_, i) => `${ACCOUNT}/uploads/big/${i}-part`);
    for (const key of keys) await putBytes(svc.blobs, key, Buffer.from(key));
    await svc.uploads.putSegments(ACCOUNT, 'v', 'big-archive', 0, keys.slice(0, SEGMENTS_PER_CHUNK));
    await svc.uploads.putSegments(ACCOUNT, 'v', 'big-archive', 1, keys.slice(SEGMENTS_PER_CHUNK));
    await svc.metadata.createArchive({
      accountId: ACCOUNT,
      vaultName: 'v',
      archiveId: 'big-archive',
      description: '',
      size: count * MiB,
      treeHash: 'ab'.repeat(32),
      creationDate: svc.now().toISOString(),
      layout: { kind: 'parts', uploadId: 'big', partSize: MiB, count, chunks: 2 },
    });
    svc.blobs.answerRestores(keys, 'started');
    const restored = async (part: number) => {
      svc.blobs.restores.length = 0;
      await retrieve('big-archive', { RetrievalByteRange: `${part * MiB}-${(part + 1) * MiB - 1}` });
      return svc.blobs.restores.map((call) => call.key);
    };
    for (const part of [0, 749, 750, 999, 1000, 1499]) expect(await restored(part)).toEqual([keys[part]]);
  });

  it('ignores events of another kind and events for objects no job waits for', async () => {
    const { archiveId } = await upload(svc, 'v', 'bytes');
    const other = await upload(svc, 'v', 'other bytes');
    const blobKey = `${ACCOUNT}/archives/${archiveId}`;
    svc.blobs.answerRestores([blobKey], 'started');
    const jobId = await retrieve(archiveId);

    for (const eventName of ['ObjectRestore:Post', 'ObjectRestore:Delete', 'ObjectCreated:Put', 'ObjectRemoved:Delete']) {
      expect(await handleRestoreEvent(svc, s3Event([blobKey], eventName))).toEqual({ released: 0 });
    }
    expect(await handleRestoreEvent(svc, s3Event([`${ACCOUNT}/archives/${other.archiveId}`, `${ACCOUNT}/archives/${archiveId}x`]))).toEqual(
      { released: 0 },
    );
    expect(await handleRestoreEvent(svc, { Records: [] })).toEqual({ released: 0 });
    expect(await stored(jobId)).toEqual(expect.objectContaining({ status: 'InProgress', pendingRestores: 1 }));

    expect(await handleRestoreEvent(svc, s3Event([blobKey]))).toEqual({ released: 1 });
    expect((await stored(jobId)).status).toBe('Succeeded');
  });

  it('counts objects that are already restored at InitiateJob as done at once', async () => {
    const data = randomBytes(3 * MiB);
    const { archiveId, partKeys } = await uploadMultipart(data);
    svc.blobs.answerRestores([partKeys[1]], 'started');
    const waiting = await retrieve(archiveId);
    expect(svc.blobs.restores.map((call) => call.key).sort()).toEqual([...partKeys].sort());
    expect(await stored(waiting)).toEqual(expect.objectContaining({ status: 'InProgress', pendingRestores: 1 }));
    expect(await handleRestoreEvent(svc, s3Event([partKeys[1]]))).toEqual({ released: 1 });
    expect((await described(waiting)).StatusCode).toBe('Succeeded');

    // Now every part is restored: a new job completes while it is initiated.
    svc.blobs.answerRestores([partKeys[1]], 'restored');
    const immediate = await retrieve(archiveId, { RetrievalByteRange: `0-${2 * MiB - 1}` });
    expect(await stored(immediate)).toEqual(
      expect.objectContaining({ status: 'Succeeded', pendingRestores: 0, completionDate: svc.now().toISOString() }),
    );
    expect((await output(immediate)).body.equals(data.subarray(0, 2 * MiB))).toBe(true);
  });

  it('decodes the object key of the event: URL-encoded, with "+" for a space', async () => {
    expect(objectKey('photos/2024/my+summer%2Bwinter+%C3%A9t%C3%A9%3D1.jpg')).toBe('photos/2024/my summer+winter été=1.jpg');
    // An archive whose blob key needs encoding (keys from elsewhere may have any characters).
    const body = Buffer.from('imported bytes');
    const blobKey = `${ACCOUNT}/imported/old vault/a+b=c&d.bin`;
    await putBytes(svc.blobs, blobKey, body);
    await svc.metadata.createArchive({
      accountId: ACCOUNT,
      vaultName: 'v',
      archiveId: 'imported-archive',
      description: '',
      size: body.length,
      treeHash: treeHash(body).toString('hex'),
      creationDate: svc.now().toISOString(),
      layout: { kind: 'blob', blobKey },
    });
    svc.blobs.answerRestores([blobKey], 'started');
    const jobId = await retrieve('imported-archive');
    const event = s3Event([blobKey]);
    expect(event.Records[0].s3.object.key).toBe(`${ACCOUNT}/imported/old+vault/a%2Bb%3Dc%26d.bin`);
    expect(await handleRestoreEvent(svc, event)).toEqual({ released: 1 });
    expect((await output(jobId)).body.equals(body)).toBe(true);
  });

  it.each(['addRestoreWaits', 'createJob', 'restore'] as const)(
    "completes a second job on the same object when the first restore completes just before the second job's %s",
    async (step) => {
      const { archiveId } = await upload(svc, 'v', 'shared bytes');
      const blobKey = `${ACCOUNT}/archives/${archiveId}`;
      svc.blobs.answerRestores([blobKey], 'started');
      const first = await retrieve(archiveId);
      svc.advance(1);
      const restoreDone = async () => {
        svc.blobs.answerRestores([blobKey], 'restored');
        await handleRestoreEvent(svc, s3Event([blobKey]));
      };
      if (step === 'restore') interleave(svc.blobs, step, restoreDone);
      else interleave(svc.jobs, step, restoreDone);
      const second = await retrieve(archiveId);
      expect((await stored(first)).status).toBe('Succeeded');
      expect(await stored(second)).toEqual(expect.objectContaining({ status: 'Succeeded', pendingRestores: 0 }));
      expect(svc.jobs.waitCount()).toBe(0);
    },
  );

  it('fails a job whose archive is deleted before its restore completes', async () => {
    const { archiveId } = await upload(svc, 'v', 'bytes');
    const blobKey = `${ACCOUNT}/archives/${archiveId}`;
    svc.blobs.answerRestores([blobKey], 'started');
    const jobId = await retrieve(archiveId);
    await deleteArchive(svc, ACCOUNT, 'v', archiveId);
    expect(await handleRestoreEvent(svc, s3Event([blobKey]))).toEqual({ released: 1 });
    expect(await stored(jobId)).toEqual(
      expect.objectContaining({ status: 'Failed', statusMessage: `The archive ${archiveId} was deleted before the job completed.` }),
    );
  });

  describe('when S3 never reports a restore, the sweep asks S3 itself', () => {
    it('completes the job at a re-check once the copy is readable (an event lost, or a release that crashed before it was counted)', async () => {
      const body = randomBytes(5000);
      const { archiveId } = await upload(svc, 'v', body);
      const blobKey = `${ACCOUNT}/archives/${archiveId}`;
      svc.blobs.answerRestores([blobKey], 'started');
      const jobId = await retrieve(archiveId, { Tier: 'Standard', SNSTopic: JOB_TOPIC });

      // Re-checked every hour for Standard: still restoring, so nothing changes and nothing more is asked of S3.
      svc.advance(HOUR - 1);
      expect(await completeDueJobs(svc)).toBe(0);
      svc.advance(1);
      expect(await completeDueJobs(svc)).toBe(0);
      expect((await described(jobId)).StatusCode).toBe('InProgress');
      expect(svc.blobs.restores).toHaveLength(1);

      // The copy is there but its event never comes.
      svc.blobs.answerRestores([blobKey], 'restored');
      svc.advance(HOUR - 1);
      expect(await completeDueJobs(svc)).toBe(0);
      svc.advance(1);
      expect(await completeDueJobs(svc)).toBe(1);
      const job = await described(jobId);
      expect(job).toEqual(expect.objectContaining({ StatusCode: 'Succeeded', SHA256TreeHash: treeHash(body).toString('hex') }));
      expect((await output(jobId)).body.equals(body)).toBe(true);
      expect(deliveries()).toEqual([expect.objectContaining({ topicArn: JOB_TOPIC, message: job })]);

      // The late event only clears the wait left behind; it and later sweeps change nothing.
      await handleRestoreEvent(svc, s3Event([blobKey]));
      expect(svc.jobs.waitCount()).toBe(0);
      svc.advance(2 * HOUR);
      expect(await completeDueJobs(svc)).toBe(0);
      expect(await described(jobId)).toEqual(job);
      expect(deliveries()).toHaveLength(1);
    });

    it('asks again for a restore whose request failed after the job was stored, and completes the job when it is done', async () => {
      const body = randomBytes(2000);
      const { archiveId } = await upload(svc, 'v', body);
      const blobKey = `${ACCOUNT}/archives/${archiveId}`;
      svc.blobs.answerRestores([blobKey], 'started');
      const restore = svc.blobs.restore.bind(svc.blobs);
      svc.blobs.restore = async () => {
        throw new Error('S3 is unavailable');
      };
      await expect(retrieve(archiveId, { Tier: 'Expedited' })).rejects.toThrow('S3 is unavailable');
      svc.blobs.restore = restore;
      const [orphan] = (await svc.jobs.listJobs(ACCOUNT, 'v', {}, undefined, 10)).items;
      expect(orphan).toEqual(expect.objectContaining({ status: 'InProgress', pendingRestores: 1 }));
      expect(svc.blobs.restores).toEqual([]);

      // Expedited is re-checked every 15 minutes: the restore was never started, so it is asked for now.
      svc.advance(15 * 60_000);
      expect(await completeDueJobs(svc)).toBe(0);
      expect(svc.blobs.restores).toEqual([{ key: blobKey, tier: 'Expedited', days: 2 }]);

      svc.blobs.answerRestores([blobKey], 'restored');
      svc.advance(15 * 60_000);
      expect(await completeDueJobs(svc)).toBe(1);
      expect((await output(orphan.jobId)).body.equals(body)).toBe(true);
    });

    it('waits for every part of a multipart archive, and completes after the last', async () => {
      const data = randomBytes(3 * MiB + 10);
      const { archiveId, partKeys } = await uploadMultipart(data);
      svc.blobs.answerRestores(partKeys, 'started');
      const jobId = await retrieve(archiveId, { Tier: 'Bulk' });
      svc.blobs.answerRestores(partKeys.slice(0, 3), 'restored');
      svc.advance(HOUR);
      expect(await completeDueJobs(svc)).toBe(0);
      expect((await described(jobId)).StatusCode).toBe('InProgress');
      svc.blobs.answerRestores(partKeys.slice(3), 'restored');
      svc.advance(HOUR);
      expect(await completeDueJobs(svc)).toBe(1);
      expect((await output(jobId)).body.equals(data)).toBe(true);
    });

    it('fails the job at a re-check when the archive was deleted meanwhile', async () => {
      const { archiveId } = await upload(svc, 'v', 'bytes');
      svc.blobs.answerRestores([`${ACCOUNT}/archives/${archiveId}`], 'started');
      const jobId = await retrieve(archiveId);
      await deleteArchive(svc, ACCOUNT, 'v', archiveId);
      svc.advance(HOUR);
      expect(await completeDueJobs(svc)).toBe(1);
      expect(await stored(jobId)).toEqual(
        expect.objectContaining({ status: 'Failed', statusMessage: `The archive ${archiveId} was deleted before the job completed.` }),
      );
    });
  });

  it('completes an inventory job without any restore', async () => {
    await upload(svc, 'v', 'bytes');
    svc.advance(1000);
    await inventoryVault(svc, (await svc.metadata.getVault(ACCOUNT, 'v')) as VaultRecord);
    const jobId = await initiate({ Type: 'inventory-retrieval' });
    expect(svc.blobs.restores).toEqual([]);
    expect((await described(jobId)).StatusCode).toBe('Succeeded');
  });
});

describe('isTreeHashAligned', () => {
  it.each([
    ['the first MiB', 0, MiB - 1, 10 * MiB, true],
    ['any one MiB', 7 * MiB, 8 * MiB - 1, 10 * MiB, true],
    ['2 MiB at an even MiB', 2 * MiB, 4 * MiB - 1, 10 * MiB, true],
    ['2 MiB at an odd MiB', MiB, 3 * MiB - 1, 10 * MiB, false],
    ['4 MiB at 4 MiB', 4 * MiB, 8 * MiB - 1, 16 * MiB, true],
    ['4 MiB at 2 MiB', 2 * MiB, 6 * MiB - 1, 16 * MiB, false],
    ['3 MiB from the start', 0, 3 * MiB - 1, 10 * MiB, false],
    ['8 MiB from the start', 0, 8 * MiB - 1, 10 * MiB, true],
    ['the last 2 MiB of 10', 8 * MiB, 10 * MiB - 1, 10 * MiB, true],
    ['the partial last MiB', 9 * MiB, 9 * MiB + 99, 9 * MiB + 100, true],
    ['a 2 MiB node cut short by the end', 8 * MiB, 9 * MiB + 99, 9 * MiB + 100, true],
    ['a 4 MiB node cut short by the end', 4 * MiB, 6 * MiB + 99, 6 * MiB + 100, true],
    ['a whole archive of 3 MiB', 0, 3 * MiB - 1, 3 * MiB, true],
    ['a whole archive under 1 MiB', 0, 99, 100, true],
    ['a start off a MiB boundary', 100, MiB - 1, 10 * MiB, false],
    ['an end off a MiB boundary', 0, MiB + 99, 10 * MiB, false],
  ])('%s', (_what, start, end, size, aligned) => {
    expect(isTreeHashAligned(start, end, size)).toBe(aligned);
  });

  it('says aligned exactly when the range tree hash is a node of the archive tree, for archives of 1 to 12 MiB', () => {
    for (let count = 1; count <= 12; count += 1) {
      const leaves: Buffer[] = Array.from({ length: count }, () => randomBytes(32));
      // Every node of the tree, level by level, as Glacier folds it.
      const nodes = new Set<string>();
      for (let level: Buffer[] = leaves; ;) {
        for (const node of level) nodes.add(node.toString('hex'));
        if (level.length === 1) break;
        level = Array.from({ length: Math.ceil(level.length / 2) }, (_, i) => combineTreeHashes(level.slice(2 * i, 2 * i + 2)));
      }
      for (const size of [count * MiB, (count - 1) * MiB + 1234]) {
        for (let first = 0; first < count; first += 1) {
          for (let last = first; last < count; last += 1) {
            const end = last === count - 1 ? size - 1 : (last + 1) * MiB - 1;
            const isNode = nodes.has(combineTreeHashes(leaves.slice(first, last + 1)).toString('hex'));
            if (isTreeHashAligned(first * MiB, end, size) !== isNode)
              throw new Error(`size ${size}, leaves ${first}-${last}: expected aligned = ${isNode}`);
          }
        }
      }
    }
  });

  it('gives a job the tree hash of its range only when the range is aligned', async () => {
    const data = randomBytes(6 * MiB + 10);
    const { archiveId } = await uploadMultipart(data);
    const aligned = await retrieve(archiveId, { RetrievalByteRange: `${4 * MiB}-${6 * MiB + 9}`, Tier: 'Expedited' });
    const unaligned = await retrieve(archiveId, { RetrievalByteRange: `${MiB}-${3 * MiB - 1}`, Tier: 'Expedited' });
    svc.advance(MEMORY_JOB_DELAYS_MS.Expedited);
    expect((await described(aligned)).SHA256TreeHash).toBe(treeHash(data.subarray(4 * MiB)).toString('hex'));
    expect((await described(unaligned)).SHA256TreeHash).toBeNull();
  });
});

describe('formatInventory', () => {
  const VAULT_ARN = arn('v');
  const DATE = '2024-06-02T00:00:00.000Z';
  const entry = (id: string, creationDate: string, description = `archive ${id}`): InventoryEntry => ({
    ArchiveId: id,
    ArchiveDescription: description,
    CreationDate: creationDate,
    Size: id.length * 100,
    SHA256TreeHash: sha256(Buffer.from(id)).toString('hex'),
  });
  const entries = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((id, i) => entry(id, `2024-05-0${i + 1}T10:00:00Z`));
  const chunksOf = (list: InventoryEntry[], size: number) =>
    async function* () {
      for (let i = 0; i < list.length; i += size) yield list.slice(i, i + size);
    };
  const format = (retrieval: InventoryRetrieval, list = entries) =>
    formatInventory({ vaultArn: VAULT_ARN, inventoryDate: DATE, retrieval }, chunksOf(list, 3));
  const listed = async (retrieval: InventoryRetrieval) => {
    const out = await format({ ...retrieval, format: 'JSON' });
    return {
      ids: (JSON.parse(out.body.toString()) as { ArchiveList: InventoryEntry[] }).ArchiveList.map((item) => item.ArchiveId),
      nextMarker: out.nextMarker,
    };
  };

  it('writes Glacier JSON', async () => {
    const list = [entry('x', '2024-05-01T10:00:00Z', 'with "quotes", commas and \\ backslash'), entry('y', '2024-05-02T10:00:00Z', '')];
    const out = await format({ format: 'JSON' }, list);
    expect(JSON.parse(out.body.toString())).toEqual({ VaultARN: VAULT_ARN, InventoryDate: DATE, ArchiveList: list });
    expect(out.nextMarker).toBeUndefined();
    expect((await format({ format: 'JSON' }, [])).body.toString()).toBe(
      `{"VaultARN":"${VAULT_ARN}","InventoryDate":"${DATE}","ArchiveList":[]}`,
    );
  });

  it('writes CSV, quoting descriptions with commas or quotes', async () => {
    const list = [
      entry('p', '2024-05-01T10:00:00Z', 'plain words'),
      entry('c', '2024-05-02T10:00:00Z', 'a, b'),
      entry('q', '2024-05-03T10:00:00Z', 'say "hi"'),
      entry('e', '2024-05-04T10:00:00Z', ''),
    ];
    const out = await format({ format: 'CSV' }, list);
    const row = (item: InventoryEntry, description: string) =>
      `${item.ArchiveId},${description},${item.CreationDate},${item.Size},${item.SHA256TreeHash}`;
    expect(out.body.toString()).toBe(
      [CSV_HEADER, row(list[0], 'plain words'), row(list[1], '"a, b"'), row(list[2], '"say ""hi"""'), row(list[3], ''), ''].join('\n'),
    );
    expect(CSV_HEADER).toBe('ArchiveId,ArchiveDescription,CreationDate,Size,SHA256TreeHash');
    expect((await format({ format: 'CSV' }, [])).body.toString()).toBe(`${CSV_HEADER}\n`);
  });

  it('keeps archives created from StartDate (inclusive) to EndDate (exclusive)', async () => {
    expect((await listed({ format: 'JSON', startDate: '2024-05-03T10:00:00Z' })).ids).toEqual(['c', 'd', 'e', 'f', 'g']);
    expect((await listed({ format: 'JSON', endDate: '2024-05-03T10:00:00Z' })).ids).toEqual(['a', 'b']);
    expect((await listed({ format: 'JSON', startDate: '2024-05-02T10:00:00Z', endDate: '2024-05-05T10:00:00Z' })).ids).toEqual([
      'b',
      'c',
      'd',
    ]);
    expect((await listed({ format: 'JSON', startDate: '2024-05-02T10:00:01Z', endDate: '2024-05-05T10:00:01Z' })).ids).toEqual([
      'c',
      'd',
      'e',
    ]);
  });

  it('starts after the Marker, stops at the Limit, and gives the next marker only when more follow', async () => {
    expect(await listed({ format: 'JSON', marker: 'b' })).toEqual({ ids: ['c', 'd', 'e', 'f', 'g'], nextMarker: undefined });
    // Across a chunk boundary.
    expect(await listed({ format: 'JSON', limit: 4 })).toEqual({ ids: ['a', 'b', 'c', 'd'], nextMarker: 'd' });
    expect(await listed({ format: 'JSON', marker: 'd', limit: 3 })).toEqual({ ids: ['e', 'f', 'g'], nextMarker: undefined });
    expect(await listed({ format: 'JSON', limit: 7 })).toEqual({ ids: ['a', 'b', 'c', 'd', 'e', 'f', 'g'], nextMarker: undefined });
    // Only archives that pass the date filter count, and only one that would be listed makes a next marker.
    expect(await listed({ format: 'JSON', endDate: '2024-05-04T10:00:00Z', limit: 3 })).toEqual({
      ids: ['a', 'b', 'c'],
      nextMarker: undefined,
    });
    expect(await listed({ format: 'JSON', startDate: '2024-05-02T10:00:00Z', limit: 2 })).toEqual({ ids: ['b', 'c'], nextMarker: 'c' });

    // Following the markers lists each archive once.
    const seen: string[] = [];
    let marker: string | undefined;
    do {
      const page: { ids: string[]; nextMarker?: string } = await listed({ format: 'JSON', limit: 2, ...(marker && { marker }) });
      seen.push(...page.ids);
      marker = page.nextMarker;
    } while (marker);
    expect(seen).toEqual(entries.map((item) => item.ArchiveId));

    const csv = await format({ format: 'CSV', marker: 'a', limit: 1 });
    expect(csv.body.toString().split('\n')[1]).toMatch(/^b,/);
    expect(csv.nextMarker).toBe('b');
  });
});

describe('notifications', () => {
  const configure = (events: string[], topic = VAULT_TOPIC) =>
    setVaultNotifications(svc, ACCOUNT, 'v', Buffer.from(JSON.stringify({ SNSTopic: topic, Events: events })));
  const takeInventory = async () => inventoryVault(svc, (await svc.metadata.getVault(ACCOUNT, 'v')) as VaultRecord);

  async function completedJobs(archiveExtra: Record<string, unknown> = {}, inventoryExtra: Record<string, unknown> = {}) {
    const { archiveId } = await upload(svc, 'v', 'bytes');
    svc.advance(1000);
    await takeInventory();
    const archiveJob = await retrieve(archiveId, { Tier: 'Expedited', ...archiveExtra });
    const inventoryJob = await initiate({ Type: 'inventory-retrieval', Tier: 'Expedited', ...inventoryExtra });
    expect(deliveries()).toEqual([]);
    svc.advance(MEMORY_JOB_DELAYS_MS.Expedited);
    expect(await completeDueJobs(svc)).toBe(2);
    return { archiveJob, inventoryJob };
  }

  const topicsFor = (jobId: string) =>
    deliveries()
      .filter((delivery) => delivery.message.JobId === jobId)
      .map((delivery) => delivery.topicArn)
      .sort();

  it('delivers to the vault topic only the events it is configured for', async () => {
    await configure(['ArchiveRetrievalCompleted']);
    const { archiveJob, inventoryJob } = await completedJobs();
    expect(topicsFor(archiveJob)).toEqual([VAULT_TOPIC]);
    expect(topicsFor(inventoryJob)).toEqual([]);
    expect(deliveries()).toEqual([
      {
        topicArn: VAULT_TOPIC,
        subject: 'Notification from Amazon Glacier: ArchiveRetrievalCompleted',
        message: await described(archiveJob),
      },
    ]);
  });

  it('delivers inventory jobs to a vault configured for InventoryRetrievalCompleted', async () => {
    await configure(['InventoryRetrievalCompleted']);
    const { archiveJob, inventoryJob } = await completedJobs();
    expect(topicsFor(archiveJob)).toEqual([]);
    expect(deliveries()).toEqual([
      {
        topicArn: VAULT_TOPIC,
        subject: 'Notification from Amazon Glacier: InventoryRetrievalCompleted',
        message: await described(inventoryJob),
      },
    ]);
  });

  it("always delivers to the job's own topic", async () => {
    const { archiveJob, inventoryJob } = await completedJobs({ SNSTopic: JOB_TOPIC }, { SNSTopic: JOB_TOPIC });
    expect(topicsFor(archiveJob)).toEqual([JOB_TOPIC]);
    expect(topicsFor(inventoryJob)).toEqual([JOB_TOPIC]);
  });

  it('delivers to both topics when both are set, and once when they are the same', async () => {
    await configure(['ArchiveRetrievalCompleted', 'InventoryRetrievalCompleted']);
    const { archiveJob, inventoryJob } = await completedJobs({ SNSTopic: JOB_TOPIC }, { SNSTopic: VAULT_TOPIC });
    expect(topicsFor(archiveJob)).toEqual([JOB_TOPIC, VAULT_TOPIC].sort());
    expect(topicsFor(inventoryJob)).toEqual([VAULT_TOPIC]);
    for (const delivery of deliveries())
      expect(delivery.message).toEqual(expect.objectContaining({ StatusCode: 'Succeeded', Completed: true }));
  });

  it('notifies failed jobs too, when they fail', async () => {
    await configure(['ArchiveRetrievalCompleted']);
    const { archiveId } = await upload(svc, 'v', 'bytes');
    const pending = await retrieve(archiveId, { SNSTopic: JOB_TOPIC });
    await deleteArchive(svc, ACCOUNT, 'v', archiveId);
    expect(deliveries()).toEqual([]);
    svc.advance(MEMORY_JOB_DELAYS_MS.Standard);
    expect(await completeDueJobs(svc)).toBe(1);
    expect(topicsFor(pending)).toEqual([JOB_TOPIC, VAULT_TOPIC].sort());
    expect(deliveries().map((delivery) => delivery.message.StatusCode)).toEqual(['Failed', 'Failed']);
  });

  describe('interrupted between finishing a job and publishing', () => {
    afterEach(() => disableFailpoints());

    it('publishes, once, from the sweep five minutes later when the process died after the job was finished', async () => {
      await configure(['ArchiveRetrievalCompleted']);
      const { archiveId } = await upload(svc, 'v', 'bytes');
      const jobId = await retrieve(archiveId, { SNSTopic: JOB_TOPIC });
      svc.advance(MEMORY_JOB_DELAYS_MS.Standard);
      enableFailpoints((name) => {
        if (name === 'job:after-finish') throw new Error('crash');
      });
      await expect(completeDueJobs(svc)).rejects.toThrow('crash');
      disableFailpoints();
      expect((await described(jobId)).StatusCode).toBe('Succeeded');
      expect(deliveries()).toEqual([]);

      svc.advance(5 * 60_000 - 1);
      expect(await sweepJobs(svc)).toEqual({ completed: 0, notified: 0 });
      svc.advance(1);
      expect(await sweepJobs(svc)).toEqual({ completed: 0, notified: 1 });
      const message = await described(jobId);
      expect(deliveries()).toEqual(
        [JOB_TOPIC, VAULT_TOPIC].map((topicArn) => ({
          topicArn,
          subject: 'Notification from Amazon Glacier: ArchiveRetrievalCompleted',
          message,
        })),
      );
      svc.advance(HOUR);
      expect(await sweepJobs(svc)).toEqual({ completed: 0, notified: 0 });
      expect(deliveries()).toHaveLength(2);
    });

    it('finishes the job when SNS fails for now, and publishes from a later sweep', async () => {
      const { archiveId } = await upload(svc, 'v', 'bytes');
      const jobId = await retrieve(archiveId, { SNSTopic: JOB_TOPIC });
      const publish = svc.notifier.publish.bind(svc.notifier);
      svc.notifier.publish = async () => {
        throw new Error('SNS is unavailable');
      };
      svc.advance(MEMORY_JOB_DELAYS_MS.Standard);
      // DescribeJob completes it, and is not failed by SNS.
      expect((await getJob(svc, ACCOUNT, 'v', jobId)).status).toBe('Succeeded');
      svc.advance(5 * 60_000);
      expect(await sweepJobs(svc)).toEqual({ completed: 0, notified: 0 });
      expect(deliveries()).toEqual([]);

      svc.notifier.publish = publish;
      svc.advance(60_000);
      expect(await sweepJobs(svc)).toEqual({ completed: 0, notified: 1 });
      expect(topicsFor(jobId)).toEqual([JOB_TOPIC]);
      expect(await sweepJobs(svc)).toEqual({ completed: 0, notified: 0 });
    });

    it('offers nothing to the sweep once a job is notified, nor for a job nobody listens to', async () => {
      await completedJobs({ SNSTopic: JOB_TOPIC });
      expect(deliveries()).toHaveLength(1);
      svc.advance(HOUR);
      expect(await sweepJobs(svc)).toEqual({ completed: 0, notified: 0 });
      expect(deliveries()).toHaveLength(1);
    });
  });

  it('sets, reads, replaces and removes the configuration of a vault', async () => {
    await expect(getVaultNotifications(svc, ACCOUNT, 'v')).rejects.toEqual(
      error('ResourceNotFoundException', `No notification configuration is set for the vault: ${arn('v')}`),
    );
    await configure(['ArchiveRetrievalCompleted', 'ArchiveRetrievalCompleted']);
    expect(await getVaultNotifications(svc, ACCOUNT, 'v')).toEqual({ snsTopic: VAULT_TOPIC, events: ['ArchiveRetrievalCompleted'] });
    await configure(['InventoryRetrievalCompleted', 'ArchiveRetrievalCompleted'], JOB_TOPIC);
    expect(await getVaultNotifications(svc, ACCOUNT, 'v')).toEqual({
      snsTopic: JOB_TOPIC,
      events: ['InventoryRetrievalCompleted', 'ArchiveRetrievalCompleted'],
    });
    await removeVaultNotifications(svc, ACCOUNT, 'v');
    await expect(getVaultNotifications(svc, ACCOUNT, 'v')).rejects.toEqual(
      error('ResourceNotFoundException', /^No notification configuration/),
    );
    await expect(removeVaultNotifications(svc, ACCOUNT, 'v')).resolves.toBeUndefined();

    const ghost = error('ResourceNotFoundException', `Vault not found for ARN: ${arn('ghost')}`);
    await expect(
      setVaultNotifications(
        svc,
        ACCOUNT,
        'ghost',
        Buffer.from(JSON.stringify({ SNSTopic: VAULT_TOPIC, Events: ['ArchiveRetrievalCompleted'] })),
      ),
    ).rejects.toEqual(ghost);
    await expect(getVaultNotifications(svc, ACCOUNT, 'ghost')).rejects.toEqual(ghost);
    await expect(removeVaultNotifications(svc, ACCOUNT, 'ghost')).rejects.toEqual(ghost);
  });

  it.each([
    ['a body that is not JSON', '{"SNSTopic":', /^The request body is not valid JSON\.$/],
    ['a JSON null', 'null', /^The request body must be a JSON object\.$/],
    ['no SNSTopic', JSON.stringify({ Events: ['ArchiveRetrievalCompleted'] }), /SNSTopic must be the ARN of an SNS topic/],
    [
      'an SNSTopic that is not a topic ARN',
      JSON.stringify({ SNSTopic: 'my-topic', Events: ['ArchiveRetrievalCompleted'] }),
      /^Invalid SNSTopic: my-topic\./,
    ],
    [
      'an SQS ARN',
      JSON.stringify({ SNSTopic: `arn:aws:sqs:us-east-1:${ACCOUNT}:queue`, Events: ['ArchiveRetrievalCompleted'] }),
      /^Invalid SNSTopic/,
    ],
    [
      'no Events',
      JSON.stringify({ SNSTopic: VAULT_TOPIC }),
      /Events must list one or more of ArchiveRetrievalCompleted, InventoryRetrievalCompleted/,
    ],
    ['empty Events', JSON.stringify({ SNSTopic: VAULT_TOPIC, Events: [] }), /Events must list one or more/],
    [
      'an unknown event',
      JSON.stringify({ SNSTopic: VAULT_TOPIC, Events: ['ArchiveRetrievalCompleted', 'VaultDeleted'] }),
      /Events must list one or more/,
    ],
    [
      'Events that is not a list',
      JSON.stringify({ SNSTopic: VAULT_TOPIC, Events: 'ArchiveRetrievalCompleted' }),
      /Events must list one or more/,
    ],
  ])('refuses %s, keeping the configuration it has', async (_what, body, message) => {
    await configure(['ArchiveRetrievalCompleted']);
    await expect(setVaultNotifications(svc, ACCOUNT, 'v', Buffer.from(body))).rejects.toEqual(invalid(message));
    expect(await getVaultNotifications(svc, ACCOUNT, 'v')).toEqual({ snsTopic: VAULT_TOPIC, events: ['ArchiveRetrievalCompleted'] });
  });
});

describe('inventory output', () => {
  it('is stored in the instant class and removed by the janitor once the job has expired', async () => {
    const { archiveId } = await upload(svc, 'v', 'bytes', 'described, "quoted"');
    svc.advance(1000);
    await inventoryVault(svc, (await svc.metadata.getVault(ACCOUNT, 'v')) as VaultRecord);
    const jobId = await initiate({ Type: 'inventory-retrieval', Format: 'CSV', Tier: 'Bulk' });
    svc.advance(MEMORY_JOB_DELAYS_MS.Bulk);
    const job = await getJob(svc, ACCOUNT, 'v', jobId);
    const completedAt = svc.now().getTime();
    if (job.action !== 'InventoryRetrieval' || !job.outputKey) throw new Error('an inventory retrieval with its output was expected');
    const outputKey = job.outputKey;
    expect(outputKey.startsWith(`${ACCOUNT}/jobs/${jobId}/`)).toBe(true);
    expect(svc.blobs.hotKeys()).toEqual([outputKey]);
    expect(svc.purges.pending().filter(({ task }) => task.kind === 'blob')).toEqual([
      { dueMs: completedAt + JOB_OUTPUT_LIFETIME_MS + 60_000, task: { kind: 'blob', blobKey: outputKey } },
    ]);

    const out = await output(jobId);
    expect(out.contentType).toBe('text/csv');
    expect(out.body.toString()).toMatch(new RegExp(`^${CSV_HEADER}\n${archiveId},"described, ""quoted""",`));
    expect(job.outputSize).toBe(out.body.length);
    expect((await described(jobId)).InventorySizeInBytes).toBe(out.body.length);

    svc.advance(JOB_OUTPUT_LIFETIME_MS + 1);
    await expect(output(jobId)).rejects.toEqual(jobNotFound(jobId));
    // Due now: the upload's check for unrecorded bytes, and the inventory run's removal of its snapshot in case it was never committed (left alone: it is the vault's current one).
    expect((await runJanitor(svc)).purges).toBe(2);
    expect(svc.blobs.keys()).toContain(outputKey);
    svc.advance(60_000 - 1);
    expect((await runJanitor(svc)).purges).toBe(1);
    expect(svc.blobs.keys()).toEqual([`${ACCOUNT}/archives/${archiveId}`]);
  });

  it('carries the next marker into the job description when Limit cuts it short', async () => {
    for (let i = 0; i < 3; i += 1) await upload(svc, 'v', `archive ${i}`);
    svc.advance(1000);
    await inventoryVault(svc, (await svc.metadata.getVault(ACCOUNT, 'v')) as VaultRecord);
    const first = await initiate({ Type: 'inventory-retrieval', InventoryRetrievalParameters: { Limit: '2' } });
    svc.advance(MEMORY_JOB_DELAYS_MS.Standard);
    const listed = (JSON.parse((await output(first)).body.toString()) as { ArchiveList: InventoryEntry[] }).ArchiveList;
    expect(listed).toHaveLength(2);
    expect(await described(first)).toEqual(
      expect.objectContaining({
        InventoryRetrievalParameters: { Format: 'JSON', StartDate: null, EndDate: null, Limit: '2', Marker: listed[1].ArchiveId },
      }),
    );
  });

  it('needs an inventory of the vault', async () => {
    await expect(initiate({ Type: 'inventory-retrieval' })).rejects.toEqual(
      error('ResourceNotFoundException', new RegExp(`^Inventory not found for vault ${arn('v')}`)),
    );
  });
});
