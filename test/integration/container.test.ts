// The data plane's container as its image runs it: the bundle the Dockerfile builds, started
// with node and the task's environment against DynamoDB (dynalite) and S3 (s3rver), serving a
// 100 MB UploadArchive in one request and the whole download to the AWS SDK.
import { ACCOUNT } from '../support/accounts';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateVaultCommand,
  GetJobOutputCommand,
  GlacierClient,
  InitiateJobCommand,
  ListVaultsCommand,
  UploadArchiveCommand,
} from '@aws-sdk/client-glacier';
import { treeHash } from '../../lambda/domain/checksums';
import { HEALTH_CHECK_PATH } from '../../lambda/local/container-settings';
import { ensureTable } from '../../lambda/local/embedded-stores';
import { bundleContainer } from '../../lib/container-bundle';
import { exchange, requestHead } from '../support/raw-http';
import { signedHeaders } from '../support/signed-request';
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
let bundle: string;
let child: ChildProcess;
let output: () => string;
let url: string;
let glacier: GlacierClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'coldvault-container-'));
  bundle = await bundleContainer(dir);
  [dynamo, s3] = await Promise.all([startDynalite(), startS3rver(BUCKET)]);
  const db = new DynamoDBClient({ region: REGION, endpoint: dynamo.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await ensureTable(db, TABLE);
  db.destroy();
  const port = await freePort();
  // The task's variables (lib/data-plane.ts), the root key given directly instead of its secret, and the stores' endpoints.
  ({ child, output } = await startBundle(bundle, {
    ...storeEnv(),
    COLDVAULT_ACCESS_KEY_ID: ROOT.accessKeyId,
    COLDVAULT_SECRET_ACCESS_KEY: ROOT.secretAccessKey,
    PORT: String(port),
  }));
  url = `http://127.0.0.1:${port}`;
  glacier = new GlacierClient({ endpoint: url, region: REGION, credentials: ROOT, maxAttempts: 1 });
}, 120_000);

afterAll(async () => {
  glacier?.destroy();
  if (child) await stop(child);
  await Promise.all([dynamo?.close(), s3?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The variables every task has (lib/data-plane.ts), with the stores' endpoints. */
function storeEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH as string,
    COLDVAULT_ACCOUNT_ID: ACCOUNT,
    COLDVAULT_REGION: REGION,
    COLDVAULT_TABLE: TABLE,
    COLDVAULT_BUCKET: BUCKET,
    COLDVAULT_STORAGE_CLASS: 'STANDARD',
    COLDVAULT_JOB_DELAY_SECONDS: '0',
    COLDVAULT_DYNAMODB_ENDPOINT: dynamo.endpoint,
    COLDVAULT_S3_ENDPOINT: s3.endpoint,
  };
}

/** Runs the bundle as the image does (`node --enable-source-maps container.js` in its directory) until it serves. */
async function startBundle(file: string, env: Record<string, string>): Promise<{ child: ChildProcess; output: () => string }> {
  const started = spawn(process.execPath, ['--enable-source-maps', file], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  started.stdout!.on('data', (chunk) => (text += chunk));
  started.stderr!.on('data', (chunk) => (text += chunk));
  const deadline = Date.now() + 60_000;
  while (!text.includes('"message":"serving"')) {
    if (started.exitCode !== null || Date.now() > deadline) {
      await stop(started);
      throw new Error(`the container did not start:\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child: started, output: () => text };
}

async function stop(target: ChildProcess): Promise<void> {
  if (target.exitCode !== null || target.signalCode !== null) return;
  const exited = new Promise((r) => target.once('exit', r));
  target.kill('SIGTERM');
  await exited;
}

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
  const lines = output()
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

it("starts as on ECS: the task role's credentials from the container endpoint, the root key from its secret", async () => {
  const secretArn = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:coldvault-root`;
  const secretsManagerCallers: string[] = [];
  // ECS's credentials endpoint for the task role, and Secrets Manager holding the root key.
  const aws = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/task-role') {
        const expiration = new Date(Date.now() + 3_600_000).toISOString();
        res.end(
          JSON.stringify({ AccessKeyId: 'ASIATASKROLE', SecretAccessKey: 'task-role-secret', Token: 'token', Expiration: expiration }),
        );
        return;
      }
      secretsManagerCallers.push(/Credential=([^/]+)\//.exec(req.headers.authorization ?? '')?.[1] ?? '');
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      res.end(JSON.stringify({ ARN: secretArn, Name: 'coldvault-root', SecretString: JSON.stringify(ROOT) }));
    });
  });
  await new Promise<void>((resolve) => aws.listen(0, '127.0.0.1', resolve));
  const awsUrl = `http://127.0.0.1:${(aws.address() as AddressInfo).port}`;
  const port = await freePort();
  let task: ChildProcess | undefined;
  try {
    ({ child: task } = await startBundle(bundle, {
      ...storeEnv(),
      COLDVAULT_ROOT_SECRET_ARN: secretArn,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${awsUrl}/task-role`,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: awsUrl,
      PORT: String(port),
    }));
    expect(secretsManagerCallers).toEqual(['ASIATASKROLE']);
    const client = new GlacierClient({ endpoint: `http://127.0.0.1:${port}`, region: REGION, credentials: ROOT, maxAttempts: 1 });
    try {
      expect((await client.send(new ListVaultsCommand({ accountId: '-' }))).$metadata.httpStatusCode).toBe(200);
    } finally {
      client.destroy();
    }
  } finally {
    if (task) await stop(task);
    await new Promise((resolve) => aws.close(resolve));
  }
}, 120_000);

it('on SIGTERM refuses new connections, finishes the request in flight, and exits once it is answered', async () => {
  const port = await freePort();
  const taskUrl = `http://127.0.0.1:${port}`;
  const { child: task, output: taskOutput } = await startBundle(bundle, {
    ...storeEnv(),
    COLDVAULT_ACCESS_KEY_ID: ROOT.accessKeyId,
    COLDVAULT_SECRET_ACCESS_KEY: ROOT.secretAccessKey,
    PORT: String(port),
  });
  const exited = new Promise<number | null>((resolve) => task.once('exit', (code) => resolve(code)));
  let socket: Socket | undefined;
  try {
    const client = new GlacierClient({ endpoint: taskUrl, region: REGION, credentials: ROOT, maxAttempts: 1 });
    await client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'drain' }));
    client.destroy();
    const archive = randomBytes(1024 * 1024);
    const path = '/-/vaults/drain/archives';
    const headers = await signedHeaders(taskUrl, {
      method: 'POST',
      path,
      body: archive,
      credentials: ROOT,
      region: REGION,
      headers: { 'content-length': String(archive.length), 'x-amz-sha256-tree-hash': treeHash(archive).toString('hex') },
    });
    let received = '';
    socket = connect(port, '127.0.0.1');
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    await new Promise<void>((resolve) => socket!.once('connect', resolve));
    // Half the body, then SIGTERM: the upload is in flight, on a connection the client keeps open (as SDKs and the load balancer do).
    socket.write(Buffer.concat([requestHead('POST', path, headers), archive.subarray(0, archive.length / 2)]));
    await new Promise((r) => setTimeout(r, 500));
    task.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    await expect(exchange(taskUrl, requestHead('GET', HEALTH_CHECK_PATH, { host: `127.0.0.1:${port}` }))).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
    socket.write(archive.subarray(archive.length / 2));
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 10_000))]);
    expect(received).toMatch(/^HTTP\/1\.1 201 /);
    expect(code).toBe(0);
  } catch (error) {
    throw new Error(`${String(error)}\n${taskOutput()}`, { cause: error });
  } finally {
    socket?.destroy();
    await stop(task);
  }
}, 60_000);

it('stops with a clear message, not a stack trace, when a variable it needs is missing', async () => {
  const env = storeEnv();
  delete env.COLDVAULT_TABLE;
  const task = spawn(process.execPath, ['--enable-source-maps', bundle], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  task.stdout!.on('data', (chunk) => (text += chunk));
  task.stderr!.on('data', (chunk) => (text += chunk));
  const code = await new Promise((resolve) => task.once('exit', resolve));
  expect(code).toBe(1);
  const line = text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.message === 'could not start');
  expect(line?.error).toBe('COLDVAULT_TABLE must be set');
}, 60_000);
