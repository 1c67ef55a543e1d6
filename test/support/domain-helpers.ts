// Shared steps of the domain unit tests.
import { uploadArchive, type UploadedArchive } from '../../lambda/domain/archives';
import { uploadPart } from '../../lambda/domain/multipart';
import { getJobOutput, initiateJob } from '../../lambda/domain/jobs';
import { readAll } from '../../lambda/domain/blobs';
import { parseJobRequest } from '../../lambda/ops/job-parameters';
import { jobOutputResponse, rangeOf } from '../../lambda/ops/jobs';
import { treeHash } from '../../lambda/domain/checksums';
import type { Services } from '../../lambda/domain/services';
import { ACCOUNT } from './accounts';
import { incoming } from './incoming';

export { ACCOUNT };

export const arn = (vaultName: string, accountId = ACCOUNT) => `arn:aws:glacier:us-east-1:${accountId}:vaults/${vaultName}`;

export function upload(svc: Services, vaultName: string, body: Buffer | string, description = ''): Promise<UploadedArchive> {
  const bytes = Buffer.from(body);
  return uploadArchive(svc, {
    accountId: ACCOUNT,
    vaultName,
    bytes: incoming(bytes),
    expectedTreeHash: treeHash(bytes).toString('hex'),
    description,
  });
}

/** Runs `between` once, just before the next call of `target[method]`: another request landing between two steps of this one. */
export function interleave<T extends object>(target: T, method: keyof T, between: () => Promise<unknown>): void {
  const own = target as Partial<Record<keyof T, unknown>>;
  const original = target[method] as (...args: unknown[]) => Promise<unknown>;
  own[method] = async (...args: unknown[]) => {
    delete own[method];
    await between();
    return original.apply(target, args);
  };
}

/** Sends one part of a multipart upload, its tree hash computed from its bytes. */
export function sendPart(svc: Services, uploadId: string, start: number, body: Buffer) {
  return uploadPart(svc, {
    accountId: ACCOUNT,
    vaultName: 'v',
    uploadId,
    contentRange: `bytes ${start}-${start + body.length - 1}/*`,
    bytes: incoming(body),
    expectedTreeHash: treeHash(body).toString('hex'),
  });
}

/** InitiateJob with these parameters, read as the operation reads its body. */
export function startJob(svc: Services, vaultName: string, params: Record<string, unknown>, accountId = ACCOUNT) {
  return initiateJob(svc, accountId, vaultName, parseJobRequest(Buffer.from(JSON.stringify(params))));
}

/** GetJobOutput's answer as the operation shapes it, its streamed body read whole. */
export async function jobOutput(svc: Services, vaultName: string, jobId: string, rangeHeader?: string, accountId = ACCOUNT) {
  const output = jobOutputResponse(await getJobOutput(svc, accountId, vaultName, jobId, rangeOf(rangeHeader)), rangeHeader);
  const body = Buffer.isBuffer(output.body) ? output.body : await readAll(output.body);
  return { status: output.status, headers: output.headers, contentType: output.headers['content-type'], body };
}
