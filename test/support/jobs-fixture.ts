// Shared set-up of the retrieval-job unit tests: a vault on the memory stores, and the steps the tests take.
import type { S3Event } from 'aws-lambda';
import { parseJobRequest } from '../../lambda/ops/job-parameters';
import { MiB, treeHash } from '../../lambda/domain/checksums';
import { describeJob, getJob, initiateJob } from '../../lambda/domain/jobs';
import { completeUpload, initiateUpload } from '../../lambda/domain/multipart';
import { createVault } from '../../lambda/domain/vaults';
import type { JobRecord } from '../../lambda/domain/ports';
import { MemoryMetadataStore, memoryServices, type MemoryServices } from './memory-stores';
import { ACCOUNT, jobOutput, sendPart } from './domain-helpers';

export const START = Date.parse('2024-06-01T12:00:00.000Z');
export const HOUR = 60 * 60 * 1000;
export const BUCKET = 'coldvault-archives';
export const VAULT_TOPIC = `arn:aws:sns:us-east-1:${ACCOUNT}:vault-topic`;
export const JOB_TOPIC = `arn:aws:sns:us-east-1:${ACCOUNT}:job-topic`;

export let svc: MemoryServices;

export async function setUp(retrieval?: { kind: 'restore' }) {
  svc = memoryServices(new MemoryMetadataStore(), START, { retrieval });
  await createVault(svc, ACCOUNT, 'v');
  svc.advance(1000);
}

beforeEach(() => setUp());

export const error = (code: string, message: string | RegExp) =>
  expect.objectContaining({ code, message: typeof message === 'string' ? message : expect.stringMatching(message) });
export const invalid = (message: string | RegExp) => error('InvalidParameterValueException', message);
export const jobNotFound = (jobId: string) => error('ResourceNotFoundException', `The job ID was not found: ${jobId}`);

export async function initiate(params: Record<string, unknown>, vaultName = 'v'): Promise<string> {
  return (await initiateJob(svc, ACCOUNT, vaultName, parseJobRequest(Buffer.from(JSON.stringify(params))))).jobId;
}

export const retrieve = (archiveId: string, extra: Record<string, unknown> = {}) =>
  initiate({ Type: 'archive-retrieval', ArchiveId: archiveId, ...extra });
export const described = async (jobId: string) => describeJob(svc, await getJob(svc, ACCOUNT, 'v', jobId));
export async function stored(jobId: string): Promise<JobRecord> {
  const job = await svc.jobs.getJob(ACCOUNT, 'v', jobId);
  if (!job) throw new Error(`No job ${jobId} is stored`);
  return job;
}
/** A job's output, its streamed body read whole. */
export async function output(jobId: string, range?: string) {
  return jobOutput(svc, 'v', jobId, range);
}

/** A multipart archive of `data` in 1 MiB parts; returns its ID and its parts' blob keys in order. */
export async function uploadMultipart(data: Buffer): Promise<{ archiveId: string; partKeys: string[] }> {
  const { uploadId } = await initiateUpload(svc, { accountId: ACCOUNT, vaultName: 'v', partSize: MiB, description: 'multipart' });
  for (let start = 0; start < data.length; start += MiB) await sendPart(svc, uploadId, start, data.subarray(start, start + MiB));
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
export const s3EventKey = (key: string) => encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');

/** An S3 event notification as S3 sends it, one record per key. */
export function s3Event(keys: string[], eventName = 'ObjectRestore:Completed'): S3Event {
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

export const deliveries = () =>
  svc.notifier.deliveries.map((delivery) => ({ ...delivery, message: JSON.parse(delivery.message) as Record<string, unknown> }));
