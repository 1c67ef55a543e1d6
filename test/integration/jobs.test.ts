import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateVaultCommand,
  DeleteArchiveCommand,
  DeleteVaultNotificationsCommand,
  DescribeJobCommand,
  GetJobOutputCommand,
  GetVaultNotificationsCommand,
  GlacierClient,
  InitiateJobCommand,
  InitiateMultipartUploadCommand,
  ListJobsCommand,
  SetVaultNotificationsCommand,
  UploadArchiveCommand,
  UploadMultipartPartCommand,
} from '@aws-sdk/client-glacier';
import { MiB, treeHash } from '../../lambda/domain/checksums';
import { NOTIFICATIONS_FILE } from '../../lambda/local/server';
import { failure, waitForJob } from '../support/glacier';
import { startTestServer, type TestServer } from '../support/local-server';
import { signedRequest } from '../support/signed-request';

let server: TestServer;
let glacier: GlacierClient;
const VAULT = 'jobs';
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:restores';

async function retrieve(archiveId: string, extra: { RetrievalByteRange?: string; SNSTopic?: string; Tier?: string } = {}) {
  const out = await glacier.send(
    new InitiateJobCommand({
      accountId: '-',
      vaultName: VAULT,
      jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId, ...extra },
    }),
  );
  return out.jobId as string;
}

async function output(jobId: string, range?: string) {
  const out = await glacier.send(new GetJobOutputCommand({ accountId: '-', vaultName: VAULT, jobId, range }));
  return { ...out, bytes: Buffer.from(await (out.body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()) };
}

async function uploadMultipart(archive: Buffer, partSize: number): Promise<string> {
  const { uploadId } = await glacier.send(
    new InitiateMultipartUploadCommand({ accountId: '-', vaultName: VAULT, partSize: String(partSize) }),
  );
  for (let start = 0; start < archive.length; start += partSize) {
    const body = archive.subarray(start, start + partSize);
    await glacier.send(
      new UploadMultipartPartCommand({
        accountId: '-',
        vaultName: VAULT,
        uploadId,
        range: `bytes ${start}-${start + body.length - 1}/*`,
        body,
      }),
    );
  }
  const done = await glacier.send(
    new CompleteMultipartUploadCommand({
      accountId: '-',
      vaultName: VAULT,
      uploadId,
      archiveSize: String(archive.length),
      checksum: treeHash(archive).toString('hex'),
    }),
  );
  return done.archiveId as string;
}

beforeAll(async () => {
  server = await startTestServer({ COLDVAULT_JOB_DELAY_SECONDS: '0' });
  glacier = server.client();
  await glacier.send(new CreateVaultCommand({ accountId: '-', vaultName: VAULT }));
});
afterAll(() => server.destroy());

it('retrieves a single archive whole, with its tree hash and description', async () => {
  const body = randomBytes(3 * MiB + 100);
  const { archiveId } = await glacier.send(
    new UploadArchiveCommand({ accountId: '-', vaultName: VAULT, body, archiveDescription: 'photos 2026' }),
  );
  const jobId = await retrieve(archiveId as string);
  const job = await waitForJob(glacier, VAULT, jobId);
  expect(job).toEqual(
    expect.objectContaining({
      Action: 'ArchiveRetrieval',
      ArchiveId: archiveId,
      ArchiveSizeInBytes: body.length,
      ArchiveSHA256TreeHash: treeHash(body).toString('hex'),
      SHA256TreeHash: treeHash(body).toString('hex'),
      RetrievalByteRange: `0-${body.length - 1}`,
      StatusCode: 'Succeeded',
      Completed: true,
      Tier: 'Standard',
    }),
  );
  const out = await output(jobId);
  expect(out.status).toBe(200);
  expect(out.bytes.equals(body)).toBe(true);
  expect(out.checksum).toBe(treeHash(body).toString('hex'));
  expect(out.contentType).toBe('application/octet-stream');
  expect(out.archiveDescription).toBe('photos 2026');
});

it('retrieves a multipart archive in aligned and unaligned ranges, with checksums exactly for aligned ones', async () => {
  const archive = randomBytes(9 * MiB + 12345);
  const archiveId = await uploadMultipart(archive, 2 * MiB);
  const jobId = await retrieve(archiveId);
  await waitForJob(glacier, VAULT, jobId);

  const aligned = await output(jobId, `bytes=${MiB}-${3 * MiB - 1}`);
  expect(aligned.status).toBe(206);
  expect(aligned.contentRange).toBe(`bytes ${MiB}-${3 * MiB - 1}/${archive.length}`);
  expect(aligned.bytes.equals(archive.subarray(MiB, 3 * MiB))).toBe(true);
  expect(aligned.checksum).toBe(treeHash(archive.subarray(MiB, 3 * MiB)).toString('hex'));

  const toEnd = await output(jobId, `bytes=${8 * MiB}-${archive.length - 1}`);
  expect(toEnd.bytes.equals(archive.subarray(8 * MiB))).toBe(true);
  expect(toEnd.checksum).toBe(treeHash(archive.subarray(8 * MiB)).toString('hex'));

  const unaligned = await output(jobId, 'bytes=100-2097251');
  expect(unaligned.bytes.equals(archive.subarray(100, 2097252))).toBe(true);
  expect(unaligned.checksum).toBeUndefined();

  const error = await failure(output(jobId, `bytes=0-${archive.length}`));
  expect(error.name).toBe('InvalidParameterValueException');
  expect(error.message).toMatch(/Invalid Range/);
});

it('answers an empty Range with the whole output and 200, as Glacier\'s own GetJobOutput example sends range ""', async () => {
  const archive = randomBytes(MiB + 4321);
  const { archiveId } = await glacier.send(new UploadArchiveCommand({ accountId: '-', vaultName: VAULT, body: archive }));
  const jobId = await retrieve(archiveId as string);
  await waitForJob(glacier, VAULT, jobId);
  const out = await signedRequest(server.url, { method: 'GET', path: `/-/vaults/${VAULT}/jobs/${jobId}/output`, headers: { range: '' } });
  expect(out.status).toBe(200);
  expect(out.body.equals(archive)).toBe(true);
  expect(out.headers['content-range']).toBeUndefined();
  expect(out.headers['x-amz-sha256-tree-hash']).toBe(treeHash(archive).toString('hex'));
});

it('retrieves a byte range of an archive; its tree hash is given when the range is tree-hash aligned', async () => {
  const archive = randomBytes(6 * MiB);
  const archiveId = await uploadMultipart(archive, MiB);
  const alignedJob = await waitForJob(glacier, VAULT, await retrieve(archiveId, { RetrievalByteRange: `${2 * MiB}-${4 * MiB - 1}` }));
  expect(alignedJob.RetrievalByteRange).toBe(`${2 * MiB}-${4 * MiB - 1}`);
  expect(alignedJob.SHA256TreeHash).toBe(treeHash(archive.subarray(2 * MiB, 4 * MiB)).toString('hex'));
  const bytes = (await output(alignedJob.JobId as string)).bytes;
  expect(bytes.equals(archive.subarray(2 * MiB, 4 * MiB))).toBe(true);

  const notAligned = await waitForJob(glacier, VAULT, await retrieve(archiveId, { RetrievalByteRange: `${MiB}-${3 * MiB - 1}` }));
  expect(notAligned.SHA256TreeHash).toBeUndefined();

  const error = await failure(retrieve(archiveId, { RetrievalByteRange: '1-100' }));
  expect(error.name).toBe('InvalidParameterValueException');
  expect(error.message).toMatch(/Invalid RetrievalByteRange/);
});

it("gives a whole-archive job its archive's tree hash as SHA256TreeHash while in progress; a job that named a range waits for completion", async () => {
  const slow = await startTestServer({ COLDVAULT_JOB_DELAY_STANDARD_SECONDS: '3600' });
  try {
    const client = slow.client();
    await client.send(new CreateVaultCommand({ accountId: '-', vaultName: VAULT }));
    const body = randomBytes(3 * MiB);
    const { archiveId } = await client.send(new UploadArchiveCommand({ accountId: '-', vaultName: VAULT, body }));
    const initiate = async (extra: { RetrievalByteRange?: string } = {}) =>
      (
        await client.send(
          new InitiateJobCommand({
            accountId: '-',
            vaultName: VAULT,
            jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId, ...extra },
          }),
        )
      ).jobId;
    const describe = (jobId: string | undefined) => client.send(new DescribeJobCommand({ accountId: '-', vaultName: VAULT, jobId }));

    const whole = await describe(await initiate());
    expect([whole.StatusCode, whole.RetrievalByteRange, whole.SHA256TreeHash]).toEqual([
      'InProgress',
      `0-${body.length - 1}`,
      treeHash(body).toString('hex'),
    ]);
    const named = await describe(await initiate({ RetrievalByteRange: `0-${body.length - 1}` }));
    expect([named.StatusCode, named.SHA256TreeHash]).toEqual(['InProgress', undefined]);
  } finally {
    await slow.destroy();
  }
});

it('answers 400 before completion, and lists jobs with the filters in creation order', async () => {
  const slow = await startTestServer({ COLDVAULT_JOB_DELAY_STANDARD_SECONDS: '3600', COLDVAULT_JOB_DELAY_EXPEDITED_SECONDS: '0' });
  try {
    const client = slow.client();
    await client.send(new CreateVaultCommand({ accountId: '-', vaultName: VAULT }));
    const { archiveId } = await client.send(new UploadArchiveCommand({ accountId: '-', vaultName: VAULT, body: randomBytes(10) }));
    const pending = await client.send(
      new InitiateJobCommand({ accountId: '-', vaultName: VAULT, jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId } }),
    );
    const fast = await client.send(
      new InitiateJobCommand({
        accountId: '-',
        vaultName: VAULT,
        jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId, Tier: 'Expedited' },
      }),
    );
    const error = await failure(client.send(new GetJobOutputCommand({ accountId: '-', vaultName: VAULT, jobId: pending.jobId })));
    expect(error.name).toBe('InvalidParameterValueException');
    expect(error.message).toBe(`The job is not currently available for download: ${pending.jobId}`);

    const all = await client.send(new ListJobsCommand({ accountId: '-', vaultName: VAULT }));
    expect(all.JobList?.map((job) => job.JobId)).toEqual([pending.jobId, fast.jobId]);
    const done = await client.send(new ListJobsCommand({ accountId: '-', vaultName: VAULT, completed: 'true' }));
    expect(done.JobList?.map((job) => job.JobId)).toEqual([fast.jobId]);
    const inProgress = await client.send(new ListJobsCommand({ accountId: '-', vaultName: VAULT, statuscode: 'InProgress' }));
    expect(inProgress.JobList?.map((job) => job.JobId)).toEqual([pending.jobId]);
    const page = await client.send(new ListJobsCommand({ accountId: '-', vaultName: VAULT, limit: 1 }));
    expect(page.JobList).toHaveLength(1);
    const rest = await client.send(new ListJobsCommand({ accountId: '-', vaultName: VAULT, marker: page.Marker }));
    expect(rest.JobList?.map((job) => job.JobId)).toEqual([fast.jobId]);
  } finally {
    await slow.destroy();
  }
});

it('produces the inventory in JSON and CSV, with date filters and paging', async () => {
  const vaultName = 'inventoried';
  await glacier.send(new CreateVaultCommand({ accountId: '-', vaultName }));
  const ids: string[] = [];
  for (let i = 0; i < 5; i += 1) {
    const out = await glacier.send(
      new UploadArchiveCommand({ accountId: '-', vaultName, body: randomBytes(100 + i), archiveDescription: `item, "${i}"` }),
    );
    ids.push(out.archiveId as string);
  }
  const noInventory = await failure(
    glacier.send(new InitiateJobCommand({ accountId: '-', vaultName, jobParameters: { Type: 'inventory-retrieval' } })),
  );
  expect(noInventory.name).toBe('ResourceNotFoundException');
  await server.runInventory();

  const inventoryJob = async (parameters: Record<string, unknown>) => {
    const { jobId } = await glacier.send(
      new InitiateJobCommand({ accountId: '-', vaultName, jobParameters: { Type: 'inventory-retrieval', ...parameters } }),
    );
    const job = await waitForJob(glacier, vaultName, jobId);
    const out = await glacier.send(new GetJobOutputCommand({ accountId: '-', vaultName, jobId }));
    return { job, out, text: await (out.body as { transformToString(): Promise<string> }).transformToString() };
  };

  const json = await inventoryJob({});
  expect(json.out.contentType).toBe('application/json');
  const parsed = JSON.parse(json.text) as {
    VaultARN: string;
    ArchiveList: { ArchiveId: string; ArchiveDescription: string; Size: number }[];
  };
  expect(parsed.VaultARN).toBe(`arn:aws:glacier:us-east-1:123456789012:vaults/${vaultName}`);
  expect(parsed.ArchiveList.map((a) => a.ArchiveId).sort()).toEqual([...ids].sort());
  expect(json.job.InventorySizeInBytes).toBe(Buffer.byteLength(json.text));
  expect(json.job.InventoryRetrievalParameters?.Format).toBe('JSON');

  const csv = await inventoryJob({ Format: 'CSV' });
  expect(csv.out.contentType).toBe('text/csv');
  const lines = csv.text.trim().split('\n');
  expect(lines[0]).toBe('ArchiveId,ArchiveDescription,CreationDate,Size,SHA256TreeHash');
  expect(lines).toHaveLength(6);
  expect(lines[1]).toMatch(/^[\w-]+,"item, ""\d""",/);

  const firstPage = await inventoryJob({ InventoryRetrievalParameters: { Limit: '2' } });
  const first = (JSON.parse(firstPage.text) as typeof parsed).ArchiveList;
  expect(first).toHaveLength(2);
  const marker = firstPage.job.InventoryRetrievalParameters?.Marker as string;
  expect(marker).toBe(first[1].ArchiveId);
  const secondPage = await inventoryJob({ InventoryRetrievalParameters: { Marker: marker } });
  const second = (JSON.parse(secondPage.text) as typeof parsed).ArchiveList;
  expect([...first, ...second].map((a) => a.ArchiveId).sort()).toEqual([...ids].sort());

  const future = await inventoryJob({ InventoryRetrievalParameters: { StartDate: '2099-01-01T00:00:00Z' } });
  expect((JSON.parse(future.text) as typeof parsed).ArchiveList).toEqual([]);
});

it('refuses an ArchiveId on an inventory-retrieval job, as it refuses a RetrievalByteRange', async () => {
  const vaultName = 'inventory-parameters';
  await glacier.send(new CreateVaultCommand({ accountId: '-', vaultName }));
  const { archiveId } = await glacier.send(new UploadArchiveCommand({ accountId: '-', vaultName, body: randomBytes(10) }));
  await server.runInventory();
  const initiate = (extra: Record<string, unknown>) =>
    glacier.send(new InitiateJobCommand({ accountId: '-', vaultName, jobParameters: { Type: 'inventory-retrieval', ...extra } }));

  for (const extra of [{ ArchiveId: archiveId }, { RetrievalByteRange: '0-9' }]) {
    const error = await failure(initiate(extra), `an inventory job with ${Object.keys(extra)[0]}`);
    expect(error.name).toBe('InvalidParameterValueException');
    expect(error.$metadata.httpStatusCode).toBe(400);
  }
  expect((await initiate({})).jobId).toBeTruthy();
});

it('follows Glacier on deletes: a later job fails, a pending one fails, a finished one keeps serving', async () => {
  const body = randomBytes(1000);
  const upload = () => glacier.send(new UploadArchiveCommand({ accountId: '-', vaultName: VAULT, body }));

  const finishedArchive = (await upload()).archiveId as string;
  const finished = await retrieve(finishedArchive);
  await waitForJob(glacier, VAULT, finished);
  await glacier.send(new DeleteArchiveCommand({ accountId: '-', vaultName: VAULT, archiveId: finishedArchive }));
  expect((await output(finished)).bytes.equals(body)).toBe(true);
  const later = await waitForJob(glacier, VAULT, await retrieve(finishedArchive));
  expect(later.StatusCode).toBe('Failed');
  expect(later.StatusMessage).toMatch(/was deleted/);

  const slow = await startTestServer({ COLDVAULT_JOB_DELAY_SECONDS: '2' });
  try {
    const client = slow.client();
    await client.send(new CreateVaultCommand({ accountId: '-', vaultName: VAULT }));
    const { archiveId } = await client.send(new UploadArchiveCommand({ accountId: '-', vaultName: VAULT, body }));
    const { jobId } = await client.send(
      new InitiateJobCommand({ accountId: '-', vaultName: VAULT, jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId } }),
    );
    await client.send(new DeleteArchiveCommand({ accountId: '-', vaultName: VAULT, archiveId }));
    expect((await client.send(new DescribeJobCommand({ accountId: '-', vaultName: VAULT, jobId }))).StatusCode).toBe('InProgress');
    const job = await waitForJob(client, VAULT, jobId);
    expect(job.StatusCode).toBe('Failed');
    expect(job.StatusMessage).toMatch(/was deleted before the job completed/);
  } finally {
    await slow.destroy();
  }
});

it('notifies the job topic and the vault configuration, and manages the configuration', async () => {
  await glacier.send(
    new SetVaultNotificationsCommand({
      accountId: '-',
      vaultName: VAULT,
      vaultNotificationConfig: { SNSTopic: TOPIC, Events: ['ArchiveRetrievalCompleted'] },
    }),
  );
  const config = await glacier.send(new GetVaultNotificationsCommand({ accountId: '-', vaultName: VAULT }));
  expect(config.vaultNotificationConfig).toEqual({ SNSTopic: TOPIC, Events: ['ArchiveRetrievalCompleted'] });

  const { archiveId } = await glacier.send(new UploadArchiveCommand({ accountId: '-', vaultName: VAULT, body: randomBytes(10) }));
  const jobTopic = 'arn:aws:sns:us-east-1:123456789012:job-topic';
  const jobId = await retrieve(archiveId as string, { SNSTopic: jobTopic });
  await waitForJob(glacier, VAULT, jobId);
  const deliveries = readFileSync(join(server.dataDir, NOTIFICATIONS_FILE), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { topicArn: string; message: string })
    .filter((delivery) => (JSON.parse(delivery.message) as { JobId: string }).JobId === jobId);
  expect(deliveries.map((d) => d.topicArn).sort()).toEqual([jobTopic, TOPIC].sort());
  expect(JSON.parse(deliveries[0].message)).toEqual(
    expect.objectContaining({ JobId: jobId, StatusCode: 'Succeeded', Action: 'ArchiveRetrieval' }),
  );

  await glacier.send(new DeleteVaultNotificationsCommand({ accountId: '-', vaultName: VAULT }));
  const error = await failure(glacier.send(new GetVaultNotificationsCommand({ accountId: '-', vaultName: VAULT })));
  expect(error.name).toBe('ResourceNotFoundException');
  const bad = await failure(
    glacier.send(
      new SetVaultNotificationsCommand({
        accountId: '-',
        vaultName: VAULT,
        vaultNotificationConfig: { SNSTopic: 'nope', Events: ['ArchiveRetrievalCompleted'] },
      }),
    ),
  );
  expect(bad.name).toBe('InvalidParameterValueException');
});

it('validates job parameters', async () => {
  const initiate = (jobParameters: Record<string, unknown>) =>
    failure(glacier.send(new InitiateJobCommand({ accountId: '-', vaultName: VAULT, jobParameters })));
  expect((await initiate({ Type: 'select' })).name).toBe('NotImplementedException');
  expect((await initiate({ Type: 'archive-retrieval', ArchiveId: 'nope' })).name).toBe('ResourceNotFoundException');
  expect((await initiate({ Type: 'archive-retrieval' })).name).toBe('MissingParameterValueException');
  expect((await initiate({ Type: 'archive-retrieval', ArchiveId: 'x', Tier: 'Fast' })).message).toMatch(/Invalid Tier/);
  expect((await initiate({ Type: 'inventory-retrieval', Format: 'XML' })).message).toMatch(/Invalid Format/);
  expect((await initiate({ Type: 'inventory-retrieval', SNSTopic: 'topic' })).message).toMatch(/Invalid SNSTopic/);
  expect((await initiate({ Type: 'inventory-retrieval', Description: 'tab\there' })).message).toMatch(/Invalid job description/);
  expect((await initiate({ Type: 'inventory-retrieval', InventoryRetrievalParameters: { Limit: '0' } })).message).toMatch(/Invalid Limit/);
  expect((await initiate({ Type: 'inventory-retrieval', InventoryRetrievalParameters: { StartDate: 'yesterday' } })).message).toMatch(
    /Invalid StartDate/,
  );
  const missing = await failure(glacier.send(new DescribeJobCommand({ accountId: '-', vaultName: VAULT, jobId: 'no-such-job' })));
  expect(missing.name).toBe('ResourceNotFoundException');
});
