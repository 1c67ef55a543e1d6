// The embedded DynamoDB and S3 servers are stopped under a running coldvault, between and in the
// middle of requests: what was acknowledged must survive, everything else must fail in Glacier's
// shape (never hang, never a success), and service must come back with the store on its own.
import { randomBytes } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import {
  CompleteMultipartUploadCommand,
  CreateVaultCommand,
  DeleteArchiveCommand,
  DescribeJobCommand,
  DescribeVaultCommand,
  GetJobOutputCommand,
  InitiateJobCommand,
  InitiateMultipartUploadCommand,
  ListJobsCommand,
  ListVaultsCommand,
  UploadArchiveCommand,
  UploadMultipartPartCommand,
  type GlacierClient,
} from '@aws-sdk/client-glacier';
import { MiB, treeHash } from '../../lambda/domain/checksums';
import type { EmbeddedStore } from '../../lambda/local/embedded-stores';
import { startTestServer, type TestServer } from '../support/local-server';
import { signedRequest } from '../support/signed-request';
import { ACCOUNT } from '../support/accounts';

const VAULT = 'outage';
/** No request may take longer than this, whatever state the stores are in. */
const REQUEST_BOUND_MS = 30_000;
// An outage test waits out the store clients' retries and timeouts: give it room on a busy machine.
jest.setTimeout(180_000);

let server: TestServer;
let client: GlacierClient;

beforeAll(async () => {
  server = await startTestServer({ COLDVAULT_JOB_DELAY_SECONDS: '0', COLDVAULT_STORES: 'emulated' });
  client = server.client();
  await client.send(new CreateVaultCommand({ accountId: '-', vaultName: VAULT }));
});
afterAll(async () => {
  await server.stores.restart('dynamodb');
  await server.stores.restart('s3');
  await server.destroy();
});

/** Settles the promise, or fails the test if it takes longer than any request may. */
async function bounded<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${REQUEST_BOUND_MS} ms`)), REQUEST_BOUND_MS);
  });
  try {
    return await Promise.race([promise, hang]);
  } finally {
    clearTimeout(timer);
  }
}

type Outcome =
  { ok: true; value: unknown } | { ok: false; error: { name?: string; message?: string; $metadata?: { httpStatusCode?: number } } };

async function attempt(what: string, run: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, value: await bounded(run(), what) };
  } catch (error) {
    return { ok: false, error: error as Extract<Outcome, { ok: false }>['error'] };
  }
}

function expectUnavailable(outcome: Outcome, what: string) {
  expect({ what, ok: outcome.ok }).toEqual({ what, ok: false });
  if (outcome.ok) return;
  expect({ what, name: outcome.error.name, status: outcome.error.$metadata?.httpStatusCode }).toEqual({
    what,
    name: 'ServiceUnavailableException',
    status: 500,
  });
  expect(outcome.error.message).toMatch(/^The service is unavailable; try again\. Request ID: /);
}

interface Acknowledged {
  archiveId: string;
  body: Buffer;
}

async function upload(body: Buffer): Promise<Acknowledged> {
  const out = await bounded(client.send(new UploadArchiveCommand({ accountId: '-', vaultName: VAULT, body })), 'UploadArchive');
  expect(out.$metadata.httpStatusCode).toBe(201);
  return { archiveId: out.archiveId as string, body };
}

async function retrieve(archiveId: string): Promise<Buffer> {
  const job = await client.send(
    new InitiateJobCommand({
      accountId: '-',
      vaultName: VAULT,
      jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId, Tier: 'Expedited' },
    }),
  );
  const jobId = job.jobId as string;
  for (let i = 0; i < 100; i += 1) {
    const described = await client.send(new DescribeJobCommand({ accountId: '-', vaultName: VAULT, jobId }));
    if (described.Completed) {
      expect(described.StatusCode).toBe('Succeeded');
      const output = await client.send(new GetJobOutputCommand({ accountId: '-', vaultName: VAULT, jobId }));
      return Buffer.from(await (output.body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`retrieval job ${jobId} did not complete`);
}

/** Every acknowledged archive is recorded, in the vault's inventory, and reads back byte for byte. */
async function expectAllThere(acknowledged: Acknowledged[]) {
  await server.runInventory();
  const job = await client.send(
    new InitiateJobCommand({ accountId: '-', vaultName: VAULT, jobParameters: { Type: 'inventory-retrieval' } }),
  );
  let inventory: { ArchiveList: { ArchiveId: string; Size: number; SHA256TreeHash: string }[] } | undefined;
  for (let i = 0; i < 100 && !inventory; i += 1) {
    const described = await client.send(new DescribeJobCommand({ accountId: '-', vaultName: VAULT, jobId: job.jobId }));
    if (described.Completed) {
      const output = await client.send(new GetJobOutputCommand({ accountId: '-', vaultName: VAULT, jobId: job.jobId }));
      inventory = JSON.parse(await (output.body as { transformToString(): Promise<string> }).transformToString());
    } else await new Promise((r) => setTimeout(r, 100));
  }
  const listed = new Map(inventory?.ArchiveList.map((entry) => [entry.ArchiveId, entry]));
  for (const { archiveId, body } of acknowledged) {
    expect(await server.services.metadata.getArchive(ACCOUNT, VAULT, archiveId)).toMatchObject({
      size: body.length,
      treeHash: treeHash(body).toString('hex'),
    });
    expect(listed.get(archiveId)).toMatchObject({ Size: body.length, SHA256TreeHash: treeHash(body).toString('hex') });
    expect((await retrieve(archiveId)).equals(body)).toBe(true);
  }
}

async function initiateUpload(): Promise<string> {
  const out = await client.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName: VAULT, partSize: String(MiB) }));
  return out.uploadId as string;
}

const uploadPart = (uploadId: string, body: Buffer) =>
  client.send(
    new UploadMultipartPartCommand({
      accountId: '-',
      vaultName: VAULT,
      uploadId,
      range: `bytes 0-${body.length - 1}/*`,
      body,
      checksum: treeHash(body).toString('hex'),
    }),
  );

async function completeUpload(uploadId: string, body: Buffer): Promise<Acknowledged> {
  const out = await client.send(
    new CompleteMultipartUploadCommand({
      accountId: '-',
      vaultName: VAULT,
      uploadId,
      archiveSize: String(body.length),
      checksum: treeHash(body).toString('hex'),
    }),
  );
  expect(out.$metadata.httpStatusCode).toBe(201);
  return { archiveId: out.archiveId as string, body };
}

it('with DynamoDB stopped every operation answers 500 ServiceUnavailableException, and service resumes when it is back', async () => {
  const acknowledged = [await upload(randomBytes(200_000)), await upload(randomBytes(3000))];
  const uploadId = await initiateUpload();
  const part = randomBytes(500_000);

  await server.stores.stop('dynamodb');
  const outcomes = await Promise.all([
    attempt('DescribeVault', () => client.send(new DescribeVaultCommand({ accountId: '-', vaultName: VAULT }))),
    attempt('ListVaults', () => client.send(new ListVaultsCommand({ accountId: '-' }))),
    attempt('CreateVault', () => client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'created-during-outage' }))),
    attempt('UploadArchive', () => client.send(new UploadArchiveCommand({ accountId: '-', vaultName: VAULT, body: randomBytes(10_000) }))),
    attempt('DeleteArchive', () =>
      client.send(new DeleteArchiveCommand({ accountId: '-', vaultName: VAULT, archiveId: acknowledged[0].archiveId })),
    ),
    attempt('InitiateMultipartUpload', () =>
      client.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName: VAULT, partSize: String(MiB) })),
    ),
    attempt('UploadMultipartPart', () => uploadPart(uploadId, part)),
    attempt('InitiateJob', () =>
      client.send(
        new InitiateJobCommand({
          accountId: '-',
          vaultName: VAULT,
          jobParameters: { Type: 'archive-retrieval', ArchiveId: acknowledged[1].archiveId },
        }),
      ),
    ),
    attempt('ListJobs', () => client.send(new ListJobsCommand({ accountId: '-', vaultName: VAULT }))),
  ]);
  const names = [
    'DescribeVault',
    'ListVaults',
    'CreateVault',
    'UploadArchive',
    'DeleteArchive',
    'InitiateMultipartUpload',
    'UploadMultipartPart',
    'InitiateJob',
    'ListJobs',
  ];
  outcomes.forEach((outcome, i) => expectUnavailable(outcome, names[i]));

  // The error in full, as it goes over the wire.
  const raw = await bounded(signedRequest(server.url, { method: 'GET', path: `/-/vaults/${VAULT}` }), 'raw DescribeVault');
  expect(raw.status).toBe(500);
  expect(raw.headers['x-amzn-errortype']).toBe('ServiceUnavailableException');
  expect(raw.headers['content-type']).toBe('application/json');
  expect(raw.json()).toEqual({
    code: 'ServiceUnavailableException',
    message: expect.stringMatching(/^The service is unavailable/),
    type: 'Server',
  });

  await server.stores.restart('dynamodb');
  const described = await bounded(client.send(new DescribeVaultCommand({ accountId: '-', vaultName: VAULT })), 'DescribeVault');
  expect(described.VaultName).toBe(VAULT);
  expect((await uploadPart(uploadId, part)).$metadata.httpStatusCode).toBe(204);
  acknowledged.push(await completeUpload(uploadId, part), await upload(randomBytes(1000)));
  await expectAllThere(acknowledged);
});

it('with S3 stopped, writes and reads of bytes answer 500 ServiceUnavailableException, metadata keeps serving, and it all resumes', async () => {
  const stored = await upload(randomBytes(300_000));
  const job = await client.send(
    new InitiateJobCommand({
      accountId: '-',
      vaultName: VAULT,
      jobParameters: { Type: 'archive-retrieval', ArchiveId: stored.archiveId, Tier: 'Expedited' },
    }),
  );
  const completed = await client.send(new DescribeJobCommand({ accountId: '-', vaultName: VAULT, jobId: job.jobId }));
  expect(completed.StatusCode).toBe('Succeeded');
  const uploadId = await initiateUpload();
  const part = randomBytes(400_000);

  await server.stores.stop('s3');
  expectUnavailable(
    await attempt('UploadArchive', () =>
      client.send(new UploadArchiveCommand({ accountId: '-', vaultName: VAULT, body: randomBytes(5000) })),
    ),
    'UploadArchive',
  );
  expectUnavailable(await attempt('UploadMultipartPart', () => uploadPart(uploadId, part)), 'UploadMultipartPart');
  expectUnavailable(
    await attempt('GetJobOutput', () => client.send(new GetJobOutputCommand({ accountId: '-', vaultName: VAULT, jobId: job.jobId }))),
    'GetJobOutput',
  );
  // Nothing of DescribeVault lives in S3.
  expect((await bounded(client.send(new DescribeVaultCommand({ accountId: '-', vaultName: VAULT })), 'DescribeVault')).VaultName).toBe(
    VAULT,
  );

  await server.stores.restart('s3');
  const output = await bounded(
    client.send(new GetJobOutputCommand({ accountId: '-', vaultName: VAULT, jobId: job.jobId })),
    'GetJobOutput',
  );
  expect(
    Buffer.from(await (output.body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()).equals(stored.body),
  ).toBe(true);
  expect((await uploadPart(uploadId, part)).$metadata.httpStatusCode).toBe(204);
  await expectAllThere([stored, await completeUpload(uploadId, part), await upload(randomBytes(2000))]);
});

describe.each<EmbeddedStore>(['dynamodb', 's3'])('%s stopped while requests are in flight', (store) => {
  it('answers each request with success or 500 ServiceUnavailableException, loses nothing acknowledged, and resumes', async () => {
    const uploadId = await initiateUpload();
    const part = randomBytes(MiB);
    let phase: 'before' | 'down' | 'after' = 'before';
    const outcomes: { what: string; outcome: Outcome }[] = [];
    const acknowledged: Acknowledged[] = [];

    // Each worker repeats its request until the store is back, then sends it once more.
    const worker = async (what: string, run: () => Promise<unknown>, onSuccess: (value: unknown) => void = () => undefined) => {
      for (;;) {
        const last = phase === 'after';
        const outcome = await attempt(what, run);
        outcomes.push({ what, outcome });
        if (outcome.ok) onSuccess(outcome.value);
        if (last) return outcome;
      }
    };
    const archive = () => {
      const body = randomBytes(256 * 1024 + Math.floor(Math.random() * 512 * 1024));
      return worker(
        'UploadArchive',
        () => client.send(new UploadArchiveCommand({ accountId: '-', vaultName: VAULT, body })),
        (value) => acknowledged.push({ archiveId: (value as { archiveId: string }).archiveId, body }),
      );
    };
    const workers = [
      archive(),
      archive(),
      archive(),
      archive(),
      worker('UploadMultipartPart', () => uploadPart(uploadId, part)),
      worker('DescribeVault', () => client.send(new DescribeVaultCommand({ accountId: '-', vaultName: VAULT }))),
    ];

    while (outcomes.length < 6) await new Promise((r) => setTimeout(r, 5));
    await server.stores.stop(store);
    phase = 'down';
    const failuresBefore = outcomes.filter(({ outcome }) => !outcome.ok).length;
    while (outcomes.filter(({ outcome }) => !outcome.ok).length < failuresBefore + 6) await new Promise((r) => setTimeout(r, 20));
    await server.stores.restart(store);
    phase = 'after';
    const finals = await Promise.all(workers);

    for (const { what, outcome } of outcomes) if (!outcome.ok) expectUnavailable(outcome, what);
    // Once the store is back, every request succeeds again, with no restart of coldvault.
    finals.forEach((final, i) => expect({ i, ok: final.ok }).toEqual({ i, ok: true }));
    acknowledged.push(await completeUpload(uploadId, part));
    await expectAllThere(acknowledged);
  });
});

it('a store that accepts connections but never answers fails requests with 500 instead of holding them', async () => {
  await server.stores.stop('dynamodb');
  const port = Number(new URL(server.config.dynamoEndpoint as string).port);
  const sockets: Socket[] = [];
  const blackHole = createServer((socket) => void sockets.push(socket));
  await new Promise<void>((resolve) => blackHole.listen(port, '127.0.0.1', resolve));
  try {
    const outcomes = await Promise.all([
      attempt('DescribeVault', () => client.send(new DescribeVaultCommand({ accountId: '-', vaultName: VAULT }))),
      attempt('UploadArchive', () => client.send(new UploadArchiveCommand({ accountId: '-', vaultName: VAULT, body: randomBytes(1000) }))),
    ]);
    expectUnavailable(outcomes[0], 'DescribeVault');
    expectUnavailable(outcomes[1], 'UploadArchive');
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => blackHole.close(() => resolve()));
  }
  await server.stores.restart('dynamodb');
  expect((await bounded(client.send(new DescribeVaultCommand({ accountId: '-', vaultName: VAULT })), 'DescribeVault')).VaultName).toBe(
    VAULT,
  );
});
