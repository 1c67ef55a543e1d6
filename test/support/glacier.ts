// Small helpers for tests that talk to the local server through GlacierClient.
import { DescribeJobCommand, GlacierServiceException, type DescribeJobCommandOutput, type GlacierClient } from '@aws-sdk/client-glacier';
import { runAdmin } from '../../lambda/admin/cli';
import type { TestServer } from './local-server';

/** The service error `promise` rejects with; fails the test if it resolves or rejects with anything else. */
export async function failure(promise: Promise<unknown>, what = 'the call'): Promise<GlacierServiceException> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GlacierServiceException) return error;
    throw error;
  }
  throw new Error(`expected ${what} to fail`);
}

/** Polls DescribeJob until the job has completed (Succeeded or Failed). */
export async function waitForJob(glacier: GlacierClient, vaultName: string, jobId: string | undefined): Promise<DescribeJobCommandOutput> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const job = await glacier.send(new DescribeJobCommand({ accountId: '-', vaultName, jobId }));
    if (job.Completed) return job;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${jobId} did not complete`);
}

/** A client signing with a new access key of `account` (its root, or `user` in it). */
export async function clientWithNewKey(server: TestServer, account: string, user?: string): Promise<GlacierClient> {
  const key = (await runAdmin([
    'keys',
    'create',
    '--account',
    account,
    ...(user ? ['--user', user] : []),
    '--data-dir',
    server.dataDir,
  ])) as { accessKeyId: string; secretAccessKey: string };
  return server.client({ credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey } });
}
