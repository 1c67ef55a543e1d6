import { ARCHIVE_BYTES_GRACE_MS, deleteArchive } from '../../lambda/domain/archives';
import { GlacierError } from '../../lambda/domain/errors';
import { REPLACED_INVENTORY_GRACE_MS, inventoryAllVaults, inventoryVault } from '../../lambda/domain/inventory';
import { runJanitor } from '../../lambda/domain/janitor';
import { createVault, deleteVault, listVaults, MAX_VAULTS_PER_ACCOUNT } from '../../lambda/domain/vaults';
import type { VaultRecord } from '../../lambda/domain/ports';
import { memoryServices, type MemoryServices } from '../support/memory-stores';
import { ACCOUNT, arn, upload } from '../support/domain-helpers';

let svc: MemoryServices;

beforeEach(() => {
  svc = memoryServices();
});

const invalid = (message: string | RegExp) =>
  expect.objectContaining({ code: 'InvalidParameterValueException', message: expect.stringMatching(message) });

describe('createVault', () => {
  it('creates a vault stamped with the clock, and is idempotent', async () => {
    await createVault(svc, ACCOUNT, 'photos');
    const first = await svc.metadata.getVault(ACCOUNT, 'photos');
    expect(first).toEqual({ accountId: ACCOUNT, vaultName: 'photos', creationDate: '2024-06-01T12:00:00.000Z' });
    svc.advance(60_000);
    await expect(createVault(svc, ACCOUNT, 'photos')).resolves.toBeUndefined();
    expect(await svc.metadata.getVault(ACCOUNT, 'photos')).toEqual(first);
    expect(await svc.metadata.countVaults(ACCOUNT)).toBe(1);
  });

  it.each(['a', 'A-Z_0.9', '.', '..', '-', '_', 'a'.repeat(255)])('accepts the name %j', async (name) => {
    await createVault(svc, ACCOUNT, name);
    expect(await svc.metadata.getVault(ACCOUNT, name)).toBeDefined();
  });

  it.each(['', 'a'.repeat(256), 'a/b', 'a%2Fb', '100%', 'with space', 'caf\u00e9', 'tab\there', 'a:b', 'a+b'])(
    'refuses the name %j',
    async (name) => {
      const attempt = createVault(svc, ACCOUNT, name);
      await expect(attempt).rejects.toBeInstanceOf(GlacierError);
      await expect(attempt).rejects.toEqual(invalid(/^Invalid vault name: /));
      expect(await svc.metadata.countVaults(ACCOUNT)).toBe(0);
    },
  );

  it(`allows ${MAX_VAULTS_PER_ACCOUNT} vaults per account and refuses the next`, async () => {
    for (let i = 0; i < MAX_VAULTS_PER_ACCOUNT; i += 1) await createVault(svc, ACCOUNT, `vault-${i}`);
    await expect(createVault(svc, ACCOUNT, 'one-too-many')).rejects.toEqual(
      expect.objectContaining({ code: 'LimitExceededException', status: 400, message: expect.stringContaining('(1000)') }),
    );
    expect(await svc.metadata.countVaults(ACCOUNT)).toBe(1000);
    expect(await svc.metadata.getVault(ACCOUNT, 'one-too-many')).toBeUndefined();

    // Creating one that exists is still fine; other accounts are not limited; deleting frees a place.
    await createVault(svc, ACCOUNT, 'vault-0');
    await createVault(svc, '210987654321', 'elsewhere');
    await deleteVault(svc, ACCOUNT, 'vault-999');
    await createVault(svc, ACCOUNT, 'one-too-many');
    expect(await svc.metadata.countVaults(ACCOUNT)).toBe(1000);
  });
});

describe('listVaults', () => {
  const names = Array.from({ length: 25 }, (_, i) => (i % 2 ? `Vault-${i}` : `vault_${i}`));

  beforeEach(async () => {
    for (const name of names) await createVault(svc, ACCOUNT, name);
  });

  it('pages with markers that are the ARN of the last vault returned', async () => {
    const first = await listVaults(svc, ACCOUNT, undefined, 10);
    expect(first.vaults).toHaveLength(10);
    expect(first.marker).toBe(arn(first.vaults[9].vaultName));
    const second = await listVaults(svc, ACCOUNT, first.marker, 10);
    expect(second.marker).toBe(arn(second.vaults[9].vaultName));
    const third = await listVaults(svc, ACCOUNT, second.marker, 10);
    expect(third.vaults).toHaveLength(5);
    expect(third.marker).toBeUndefined();
    expect([...first.vaults, ...second.vaults, ...third.vaults].map((vault) => vault.vaultName)).toEqual([...names].sort());
  });

  it('gives no marker when everything fits', async () => {
    expect((await listVaults(svc, ACCOUNT, undefined, 25)).marker).toBeUndefined();
    expect((await listVaults(svc, ACCOUNT, undefined, 1000)).vaults).toHaveLength(25);
  });

  it('continues after a marker whose vault was deleted meanwhile', async () => {
    const first = await listVaults(svc, ACCOUNT, undefined, 10);
    await deleteVault(svc, ACCOUNT, first.vaults[9].vaultName);
    const second = await listVaults(svc, ACCOUNT, first.marker, 10);
    expect(second.vaults[0].vaultName).toBe([...names].sort()[10]);
  });

  it.each([
    ['not an ARN', 'nonsense'],
    ['another account', arn('Vault-1', '999999999999')],
    ['another region', 'arn:aws:glacier:eu-west-1:123456789012:vaults/Vault-1'],
    ['no vault name', arn('')],
    ['an empty marker', ''],
  ])('refuses a marker of %s', async (_what, marker) => {
    await expect(listVaults(svc, ACCOUNT, marker, 10)).rejects.toEqual(invalid(/^Invalid marker: /));
  });
});

describe('deleteVault', () => {
  const inventory = async (vaultName: string) => {
    svc.advance(1000);
    await inventoryVault(svc, (await svc.metadata.getVault(ACCOUNT, vaultName)) as VaultRecord);
    svc.advance(1000);
  };
  const refused = (vaultName: string) => invalid(`^Vault not empty or recently written to: ${arn(vaultName).replace(/\./g, '\\.')}$`);

  it('succeeds for a vault that does not exist', async () => {
    await expect(deleteVault(svc, ACCOUNT, 'ghost')).resolves.toBeUndefined();
  });

  it('deletes a vault that was never written to', async () => {
    await createVault(svc, ACCOUNT, 'fresh');
    await deleteVault(svc, ACCOUNT, 'fresh');
    expect(await svc.metadata.getVault(ACCOUNT, 'fresh')).toBeUndefined();
  });

  it('deletes only once an inventory newer than the last write shows the vault empty', async () => {
    await createVault(svc, ACCOUNT, 'v');
    svc.advance(1000);
    const { archiveId } = await upload(svc, 'v', 'some bytes');
    await expect(deleteVault(svc, ACCOUNT, 'v')).rejects.toEqual(refused('v'));

    await inventory('v');
    await expect(deleteVault(svc, ACCOUNT, 'v')).rejects.toEqual(refused('v'));

    await deleteArchive(svc, ACCOUNT, 'v', archiveId);
    await expect(deleteVault(svc, ACCOUNT, 'v')).rejects.toEqual(refused('v'));

    svc.advance(1000);
    const run = await inventoryAllVaults(svc);
    expect(run).toEqual({ vaults: 1, failed: [] });
    svc.advance(1000);
    await deleteVault(svc, ACCOUNT, 'v');
    expect(await svc.metadata.getVault(ACCOUNT, 'v')).toBeUndefined();
    // What the deleted vault held goes with the janitor: the replaced inventory after an hour, the bytes after a day.
    svc.advance(REPLACED_INVENTORY_GRACE_MS);
    expect(await runJanitor(svc)).toEqual({ uploads: 0, purges: 1 });
    expect(svc.metadata.inventoryChunkCount()).toBe(0);
    expect(svc.blobs.keys()).toHaveLength(1);
    svc.advance(ARCHIVE_BYTES_GRACE_MS);
    // The bytes' removal, the upload's check for unrecorded bytes, and the two inventory runs'
    // removals of their snapshot in case it was never committed.
    expect(await runJanitor(svc)).toEqual({ uploads: 0, purges: 4 });
    expect(svc.blobs.keys()).toEqual([]);
  });

  it('refuses again after a write that follows the empty inventory', async () => {
    await createVault(svc, ACCOUNT, 'v');
    svc.advance(1000);
    const { archiveId } = await upload(svc, 'v', 'first');
    svc.advance(1000);
    await deleteArchive(svc, ACCOUNT, 'v', archiveId);
    await inventory('v');
    expect((await svc.metadata.getVault(ACCOUNT, 'v'))?.inventory?.numberOfArchives).toBe(0);

    const second = await upload(svc, 'v', 'second');
    svc.advance(1000);
    await deleteArchive(svc, ACCOUNT, 'v', second.archiveId);
    await expect(deleteVault(svc, ACCOUNT, 'v')).rejects.toEqual(refused('v'));
    expect(await svc.metadata.getVault(ACCOUNT, 'v')).toBeDefined();

    await inventory('v');
    await deleteVault(svc, ACCOUNT, 'v');
    expect(await svc.metadata.getVault(ACCOUNT, 'v')).toBeUndefined();
  });

  it('refuses when the inventory ran in the same millisecond as the last write', async () => {
    await createVault(svc, ACCOUNT, 'v');
    const { archiveId } = await upload(svc, 'v', 'bytes');
    await deleteArchive(svc, ACCOUNT, 'v', archiveId);
    await inventoryVault(svc, (await svc.metadata.getVault(ACCOUNT, 'v')) as VaultRecord);
    svc.advance(1000);
    await expect(deleteVault(svc, ACCOUNT, 'v')).rejects.toEqual(refused('v'));
  });
});
