// Shared steps of the domain unit tests.
import { uploadArchive, type UploadedArchive } from '../../lambda/domain/archives';
import { sha256, treeHash } from '../../lambda/domain/checksums';
import type { Services } from '../../lambda/domain/services';
import { ACCOUNT } from './accounts';

export { ACCOUNT };

export const arn = (vaultName: string, accountId = ACCOUNT) => `arn:aws:glacier:us-east-1:${accountId}:vaults/${vaultName}`;

export function upload(svc: Services, vaultName: string, body: Buffer | string, description = ''): Promise<UploadedArchive> {
  const bytes = Buffer.from(body);
  return uploadArchive(svc, {
    accountId: ACCOUNT,
    vaultName,
    body: bytes,
    bodySha256: sha256(bytes),
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
