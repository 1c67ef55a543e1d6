// A local server seeded with one of each thing a refused request could touch (a vault, an
// archive, a finished retrieval job, a multipart upload), everything it stores as one value to
// compare before and after, and the checks of Glacier's error answers: for the tests of hostile
// and forged requests, which must store nothing and leave the server serving.
import { randomBytes } from 'node:crypto';
import {
  CreateVaultCommand,
  DescribeJobCommand,
  InitiateJobCommand,
  InitiateMultipartUploadCommand,
  ListVaultsCommand,
  UploadArchiveCommand,
} from '@aws-sdk/client-glacier';
import { MiB } from '../../lambda/domain/checksums';
import { ACCOUNT } from './accounts';
import type { TestServer } from './local-server';

export interface SeededVault {
  vaultName: string;
  archiveId: string;
  archiveSize: number;
  /** An archive retrieval of the archive, already succeeded (the server runs with a job delay of 0). */
  jobId: string;
  /** A multipart upload of 1 MiB parts, with none yet. */
  uploadId: string;
}

export async function seedVault(server: TestServer, vaultName: string, archiveSize: number): Promise<SeededVault> {
  const client = server.client();
  await client.send(new CreateVaultCommand({ accountId: '-', vaultName }));
  const stored = await client.send(new UploadArchiveCommand({ accountId: '-', vaultName, body: randomBytes(archiveSize) }));
  const archiveId = stored.archiveId as string;
  const job = await client.send(
    new InitiateJobCommand({
      accountId: '-',
      vaultName,
      jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId, Tier: 'Expedited' },
    }),
  );
  const jobId = job.jobId as string;
  expect((await client.send(new DescribeJobCommand({ accountId: '-', vaultName, jobId }))).StatusCode).toBe('Succeeded');
  const upload = await client.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName, partSize: String(MiB) }));
  return { vaultName, archiveId, archiveSize, jobId, uploadId: upload.uploadId as string };
}

/** Everything a request could have stored: objects, vaults, archives, uploads and parts, jobs, account settings. */
export async function storedState(server: TestServer, seeded: SeededVault) {
  const svc = server.services;
  const { vaultName, uploadId } = seeded;
  return {
    objects: (await svc.blobs.list('')).sort(),
    vaults: (await svc.metadata.listVaults(ACCOUNT, undefined, 1000)).items,
    archives: (await svc.metadata.listArchives(ACCOUNT, vaultName)).items.map((a) => `${a.archiveId} ${a.description}`).sort(),
    uploads: (await svc.uploads.listUploads(ACCOUNT, vaultName, undefined, 1000)).items.map((u) => u.uploadId),
    parts: (await svc.uploads.listParts(ACCOUNT, vaultName, uploadId, 0, 1000)).items,
    jobs: (await svc.jobs.listJobs(ACCOUNT, vaultName, {}, undefined, 1000)).items.map((j) => j.jobId).sort(),
    retrievalPolicy: await svc.accounts.getAccountSetting(ACCOUNT, 'retrievalPolicy'),
  };
}

export async function expectStillServing(server: TestServer): Promise<void> {
  const out = await server.client().send(new ListVaultsCommand({ accountId: '-' }));
  expect(out.$metadata.httpStatusCode).toBe(200);
}

/** A Glacier error answer, whole: status, code and type in the body and the headers, a request ID, JSON. */
export function expectGlacierError(
  response: { status: number; headers: Record<string, string>; body: Buffer },
  status: number,
  code: string,
  message?: RegExp | string,
) {
  const body = JSON.parse(response.body.toString()) as Record<string, unknown>;
  expect({ status: response.status, code: body.code }).toEqual({ status, code });
  expect(response.headers['x-amzn-errortype']).toBe(code);
  expect(response.headers['x-amzn-requestid']).toMatch(/^[\w-]{20,}$/);
  expect(response.headers['content-type']).toBe('application/json');
  expect(body).toEqual({ code, message: expect.any(String), type: status >= 500 ? 'Server' : 'Client' });
  if (typeof message === 'string') expect(body.message).toBe(message);
  else if (message) expect(body.message).toMatch(message);
}
