// The data plane's container as its image runs it: the bundle the Dockerfile builds, started
// with node and the task's environment against DynamoDB (dynalite) and S3 (s3rver), serving a
// 100 MB UploadArchive in one request and the whole download to the AWS SDK.
import { ACCOUNT } from '../support/accounts';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateVaultCommand, GetJobOutputCommand, GlacierClient, InitiateJobCommand, UploadArchiveCommand } from '@aws-sdk/client-glacier';
import { treeHash } from '../../lambda/domain/checksums';
import { HEALTH_CHECK_PATH } from '../../lambda/local/container-settings';
import { ensureTable } from '../../lambda/local/embedded-stores';
import { bundleContainer } from '../../lib/container-bundle';
import { startDynalite, startS3rver, type EmbeddedServer } from '../support/embedded';
import { waitForJob } from '../support/glacier';
import { freePort } from '../support/server-process';

const REGION = 'us-east-1';
const TABLE = 'coldvault-container';
const BUCKET = 'coldvault-container-archives';
const ROOT = { accessKeyId: 'AKIDCOLDVAULTCONTAIN', secretAccessKey: 'container-test-root-secret-access-key-1' };
const ARCHIVE_BYTES = 100 * 1024 * 1024;

let dir: string;
let dynamo: EmbeddedServer;
let s3: EmbeddedServer;
let child: ChildProcess;
let output = '';
let url: string;
let glacier: GlacierClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'coldvault-container-'));
  const bundle = await bundleContainer(dir);
  [dynamo, s3] = await Promise.all([startDynalite(), startS3rver(BUCKET)]);
  const db = new DynamoDBClient({ region: REGION, endpoint: dynamo.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await ensureTable(db, TABLE);
  db.destroy();
  const port = await freePort();
  // The task's variables (lib/data-plane.ts), the root key given directly instead of its secret, and the stores' endpoints.
  child = spawn(process.execPath, ['--enable-source-maps', bundle], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      COLDVAULT_ACCOUNT_ID: ACCOUNT,
      COLDVAULT_REGION: REGION,
      COLDVAULT_TABLE: TABLE,
      COLDVAULT_BUCKET: BUCKET,
      COLDVAULT_STORAGE_CLASS: 'STANDARD',
      COLDVAULT_JOB_DELAY_SECONDS: '0',
      COLDVAULT_ACCESS_KEY_ID: ROOT.accessKeyId,
      COLDVAULT_SECRET_ACCESS_KEY: ROOT.secretAccessKey,
      COLDVAULT_DYNAMODB_ENDPOINT: dynamo.endpoint,
      COLDVAULT_S3_ENDPOINT: s3.endpoint,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const deadline = Date.now() + 60_000;
  while (!output.includes('"message":"serving"')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the container did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  url = `http://127.0.0.1:${port}`;
  glacier = new GlacierClient({ endpoint: url, region: REGION, credentials: ROOT, maxAttempts: 1 });
}, 120_000);

afterAll(async () => {
  glacier?.destroy();
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  await Promise.all([dynamo?.close(), s3?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('answers the health check without authentication, reading nothing', async () => {
  const answer = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
    request(`${url}${HEALTH_CHECK_PATH}`, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    })
      .on('error', reject)
      .end();
  });
  expect(answer).toEqual({ status: 200, body: 'ok' });
});

it('takes a 100 MB archive in one UploadArchive and gives all of it back in one GetJobOutput', async () => {
  await glacier.send(new CreateVaultCommand({ accountId: '-', vaultName: 'big' }));
  const archive = randomBytes(ARCHIVE_BYTES);
  const uploaded = await glacier.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'big', body: archive }));
  expect(uploaded.checksum).toBe(treeHash(archive).toString('hex'));
  const job = await glacier.send(
    new InitiateJobCommand({
      accountId: '-',
      vaultName: 'big',
      jobParameters: { Type: 'archive-retrieval', ArchiveId: uploaded.archiveId },
    }),
  );
  expect((await waitForJob(glacier, 'big', job.jobId)).StatusCode).toBe('Succeeded');
  const output = await glacier.send(new GetJobOutputCommand({ accountId: '-', vaultName: 'big', jobId: job.jobId }));
  const body = Buffer.from(await output.body!.transformToByteArray());
  expect(output.status).toBe(200);
  expect(output.checksum).toBe(treeHash(archive).toString('hex'));
  expect(body.length).toBe(ARCHIVE_BYTES);
  expect(body.equals(archive)).toBe(true);
}, 180_000);

it('logs each request as the functions do: one JSON line with the operation, status and request ID', () => {
  const lines = output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const upload = lines.find((line) => line.message === 'request' && line.operation === 'UploadArchive');
  expect(upload).toMatchObject({
    level: 'INFO',
    service: 'coldvault',
    status: 201,
    requestId: expect.any(String),
    latencyMs: expect.any(Number),
  });
});
