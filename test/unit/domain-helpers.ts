// Shared steps of the domain unit tests.
import { uploadArchive, type UploadedArchive } from '../../lambda/domain/archives';
import { sha256, treeHash } from '../../lambda/domain/checksums';
import type { Services } from '../../lambda/domain/services';

export const ACCOUNT = '123456789012';

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
