// An upload racing an inventory and DeleteVault: held at a failpoint between its first vault
// stamp and its archive record, while the vault is inventoried empty and deleted. A 2xx must
// never go out for an archive that is not in a live vault.
import { treeHash } from '../../lambda/domain/checksums';
import { disableFailpoints, enableFailpoints, type FailpointName } from '../../lambda/domain/failpoints';
import { inventoryVault } from '../../lambda/domain/inventory';
import { completeUpload, initiateUpload } from '../../lambda/domain/multipart';
import { runDuePurges } from '../../lambda/domain/purges';
import { createVault, deleteVault } from '../../lambda/domain/vaults';
import type { VaultRecord } from '../../lambda/domain/ports';
import { memoryServices, type MemoryServices } from '../support/memory-stores';
import { ACCOUNT, sendPart, upload } from '../support/domain-helpers';

const MiB = 1024 * 1024;
let svc: MemoryServices;

beforeEach(async () => {
  svc = memoryServices();
  await createVault(svc, ACCOUNT, 'v');
  svc.advance(1000);
});

afterEach(() => disableFailpoints());

/** At `point`, once: the vault is inventoried (empty, since the archive is not recorded yet) and deleted. */
function deleteVaultAt(point: FailpointName, recreate = false): { deleted: () => boolean } {
  let deleted = false;
  enableFailpoints(async (name) => {
    if (name !== point || deleted) return;
    svc.advance(1000);
    await inventoryVault(svc, (await svc.metadata.getVault(ACCOUNT, 'v')) as VaultRecord);
    svc.advance(1000);
    await deleteVault(svc, ACCOUNT, 'v');
    deleted = (await svc.metadata.getVault(ACCOUNT, 'v')) === undefined;
    if (recreate) await createVault(svc, ACCOUNT, 'v');
  });
  return { deleted: () => deleted };
}

const vaultGone = expect.objectContaining({ code: 'ResourceNotFoundException', message: expect.stringMatching(/vault/i) });

async function expectNoLiveArchive() {
  const archives = (await svc.metadata.listArchives(ACCOUNT, 'v')).items;
  expect(archives.filter((archive) => !archive.deletedDate)).toEqual([]);
}

async function expectBytesRemovedByJanitor() {
  svc.advance(48 * 60 * 60 * 1000);
  await runDuePurges(svc);
  expect(svc.blobs.keys()).toEqual([]);
}

describe.each([false, true])('a vault deleted (and made again: %s) while an upload is recorded', (recreate) => {
  it('UploadArchive answers 404, not 201, and its bytes go', async () => {
    const race = deleteVaultAt('upload-archive:after-first-stamp', recreate);
    await expect(upload(svc, 'v', Buffer.alloc(3 * MiB, 'x'))).rejects.toEqual(vaultGone);
    expect(race.deleted()).toBe(true);
    await expectNoLiveArchive();
    await expectBytesRemovedByJanitor();
  });

  it('CompleteMultipartUpload answers 404, not 201', async () => {
    const { uploadId } = await initiateUpload(svc, { accountId: ACCOUNT, vaultName: 'v', partSize: MiB, description: '' });
    const part = Buffer.alloc(MiB, 'p');
    await sendPart(svc, uploadId, 0, part);
    const race = deleteVaultAt('complete-upload:after-first-stamp', recreate);
    await expect(
      completeUpload(svc, {
        accountId: ACCOUNT,
        vaultName: 'v',
        uploadId,
        archiveSize: MiB,
        expectedTreeHash: treeHash(part).toString('hex'),
      }),
    ).rejects.toEqual(vaultGone);
    expect(race.deleted()).toBe(true);
    await expectNoLiveArchive();
  });
});
