// Retrieval jobs on a cold storage class: restores asked of S3, their events, and the sweep's re-checks.
import { randomBytes } from 'node:crypto';
import { deleteArchive } from '../../lambda/domain/archives';
import { MiB, treeHash } from '../../lambda/domain/checksums';
import { inventoryVault } from '../../lambda/domain/inventory';
import { completeDueJobs } from '../../lambda/domain/jobs';
import { SEGMENTS_PER_CHUNK } from '../../lambda/domain/multipart';
import { handleRestoreEvent, objectKey } from '../../lambda/handlers/restore-events';
import type { VaultRecord } from '../../lambda/domain/ports';
import { putBytes } from '../../lambda/domain/blobs';
import { ACCOUNT, interleave, upload } from '../support/domain-helpers';
import {
  HOUR,
  JOB_TOPIC,
  svc,
  setUp,
  initiate,
  retrieve,
  described,
  stored,
  output,
  uploadMultipart,
  s3Event,
  deliveries,
} from '../support/jobs-fixture';

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
