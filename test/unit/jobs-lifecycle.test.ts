// Retrieval jobs: tiers, expiry, and archives deleted under a job.
import { randomBytes } from 'node:crypto';
import { parseJobFilter } from '../../lambda/ops/job-parameters';
import { ARCHIVE_BYTES_GRACE_MS, deleteArchive } from '../../lambda/domain/archives';
import { MiB, treeHash } from '../../lambda/domain/checksums';
import { runJanitor } from '../../lambda/domain/janitor';
import { JOB_OUTPUT_LIFETIME_MS, completeDueJobs, getJob, listJobs } from '../../lambda/domain/jobs';
import { inventoryVault } from '../../lambda/domain/inventory';
import { createVault, deleteVault } from '../../lambda/domain/vaults';
import type { VaultRecord } from '../../lambda/domain/ports';
import { MEMORY_JOB_DELAYS_MS } from '../support/memory-stores';
import { RECORDED_LEAVES_MAX } from '../../lambda/domain/staging';
import { ACCOUNT, arn, upload } from '../support/domain-helpers';
import {
  JOB_TOPIC,
  svc,
  error,
  invalid,
  jobNotFound,
  initiate,
  retrieve,
  described,
  stored,
  output,
  uploadMultipart,
  deliveries,
} from '../support/jobs-fixture';

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

describe('a vault deleted and created again with the same name', () => {
  it('does not know the jobs of the earlier vault: DescribeJob, GetJobOutput and ListJobs', async () => {
    const { archiveId } = await upload(svc, 'v', 'old bytes');
    const jobId = await retrieve(archiveId, { Tier: 'Expedited' });
    svc.advance(MEMORY_JOB_DELAYS_MS.Expedited);
    expect(await completeDueJobs(svc)).toBe(1);
    await deleteArchive(svc, ACCOUNT, 'v', archiveId);
    svc.advance(1000);
    await inventoryVault(svc, (await svc.metadata.getVault(ACCOUNT, 'v')) as VaultRecord);
    svc.advance(1000);
    await deleteVault(svc, ACCOUNT, 'v');
    svc.advance(1000);
    await createVault(svc, ACCOUNT, 'v');

    await expect(getJob(svc, ACCOUNT, 'v', jobId)).rejects.toEqual(jobNotFound(jobId));
    await expect(output(jobId)).rejects.toEqual(jobNotFound(jobId));
    expect((await listJobs(svc, ACCOUNT, 'v', { filter: {}, limit: 10 })).jobs).toEqual([]);
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

  it('ListJobs answers no Marker when only expired jobs follow the page, and fills a page past expired jobs', async () => {
    const { archiveId } = await upload(svc, 'v', 'bytes');
    const bulk = await retrieve(archiveId, { Tier: 'Bulk' });
    svc.advance(1);
    const expedited = await retrieve(archiveId, { Tier: 'Expedited' });
    svc.advance(MEMORY_JOB_DELAYS_MS.Expedited);
    expect(await completeDueJobs(svc)).toBe(1);
    svc.advance(JOB_OUTPUT_LIFETIME_MS + 1);
    await expect(getJob(svc, ACCOUNT, 'v', expedited)).rejects.toEqual(jobNotFound(expedited));

    // Glacier: "If there are no more jobs to list, the Marker field is set to null."
    const page = await listJobs(svc, ACCOUNT, 'v', { filter: {}, limit: 1 });
    expect(page.jobs.map((job) => job.jobId)).toEqual([bulk]);
    expect(page.marker).toBeUndefined();

    const later = await retrieve(archiveId, { Tier: 'Bulk' });
    const first = await listJobs(svc, ACCOUNT, 'v', { filter: {}, limit: 1 });
    expect(first).toEqual({ jobs: [expect.objectContaining({ jobId: bulk })], marker: bulk });
    const second = await listJobs(svc, ACCOUNT, 'v', { filter: {}, marker: first.marker, limit: 1 });
    expect(second).toEqual({ jobs: [expect.objectContaining({ jobId: later })] });
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
    // Its leaf hashes are in its record (it is of at most RECORDED_LEAVES_MAX MiB), not beside its blob.
    expect(data.length).toBeLessThanOrEqual(RECORDED_LEAVES_MAX * MiB);
    return { archiveId, blobKeys: [`${ACCOUNT}/archives/${archiveId}`] };
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
