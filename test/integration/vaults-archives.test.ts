import { randomBytes } from 'node:crypto';
import {
  CreateVaultCommand,
  DeleteArchiveCommand,
  DeleteVaultCommand,
  DescribeVaultCommand,
  GlacierClient,
  ListVaultsCommand,
  UploadArchiveCommand,
  paginateListVaults,
} from '@aws-sdk/client-glacier';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { treeHash } from '../../lambda/domain/checksums';
import { createS3Client } from '../../lambda/wiring';
import { failure } from '../support/glacier';
import { startTestServer, type TestServer } from '../support/local-server';
import { ACCOUNT } from '../support/accounts';

let server: TestServer;
let glacier: GlacierClient;
const arn = (name: string) => `arn:aws:glacier:us-east-1:${ACCOUNT}:vaults/${name}`;

async function upload(vaultName: string, body: Buffer, archiveDescription?: string) {
  return glacier.send(new UploadArchiveCommand({ accountId: '-', vaultName, body, archiveDescription }));
}

async function storedObjectCount(): Promise<number> {
  const s3 = createS3Client(server.config);
  const out = await s3.send(new ListObjectsV2Command({ Bucket: server.config.bucketName }));
  return out.KeyCount ?? 0;
}

beforeAll(async () => {
  server = await startTestServer({ COLDVAULT_STORES: 'emulated' });
  glacier = server.client();
});

afterAll(async () => {
  await server.destroy();
});

describe('CreateVault', () => {
  it('creates a vault and answers its Location; creating it again succeeds', async () => {
    const first = await glacier.send(new CreateVaultCommand({ accountId: '-', vaultName: 'create-me' }));
    expect(first.$metadata.httpStatusCode).toBe(201);
    expect(first.location).toBe(`/${ACCOUNT}/vaults/create-me`);
    const again = await glacier.send(new CreateVaultCommand({ accountId: '-', vaultName: 'create-me' }));
    expect(again.location).toBe(`/${ACCOUNT}/vaults/create-me`);
  });

  it('accepts the explicit account ID of the caller', async () => {
    const out = await glacier.send(new CreateVaultCommand({ accountId: ACCOUNT, vaultName: 'explicit-account' }));
    expect(out.location).toBe(`/${ACCOUNT}/vaults/explicit-account`);
  });

  it.each([
    ['256 characters', 'a'.repeat(256)],
    ['a slash', 'a/b'],
    ['a space', 'a b'],
    ['a percent sign', 'a%b'],
  ])('refuses a name with %s', async (_what, vaultName) => {
    const error = await failure(glacier.send(new CreateVaultCommand({ accountId: '-', vaultName })));
    expect(error.name).toBe('InvalidParameterValueException');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.message).toMatch(/Invalid vault name/);
  });

  it('accepts a 255-character name of every allowed character class', async () => {
    const vaultName = `Az09_-.${'x'.repeat(248)}`;
    const out = await glacier.send(new CreateVaultCommand({ accountId: '-', vaultName }));
    expect(out.location).toBe(`/${ACCOUNT}/vaults/${vaultName}`);
  });

  it("refuses another account's path with AccessDeniedException", async () => {
    const error = await failure(glacier.send(new CreateVaultCommand({ accountId: '999999999999', vaultName: 'theirs' })));
    expect(error.name).toBe('AccessDeniedException');
    expect(error.$metadata.httpStatusCode).toBe(403);
  });
});

describe('DescribeVault', () => {
  it('describes a new vault as empty, with no inventory date', async () => {
    await glacier.send(new CreateVaultCommand({ accountId: '-', vaultName: 'describe-me' }));
    const out = await glacier.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'describe-me' }));
    expect(out.VaultName).toBe('describe-me');
    expect(out.VaultARN).toBe(arn('describe-me'));
    expect(Date.parse(out.CreationDate as string)).toBeGreaterThan(Date.now() - 60_000);
    expect(out.LastInventoryDate).toBeUndefined();
    expect(out.NumberOfArchives).toBe(0);
    expect(out.SizeInBytes).toBe(0);
  });

  it('reports archives as of the last inventory', async () => {
    await glacier.send(new CreateVaultCommand({ accountId: '-', vaultName: 'counted' }));
    await upload('counted', randomBytes(1000));
    await upload('counted', randomBytes(2500));
    const before = await glacier.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'counted' }));
    expect([before.NumberOfArchives, before.SizeInBytes, before.LastInventoryDate]).toEqual([0, 0, undefined]);

    await server.runInventory();
    const after = await glacier.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'counted' }));
    expect(after.NumberOfArchives).toBe(2);
    expect(after.SizeInBytes).toBe(3500);
    expect(Date.parse(after.LastInventoryDate as string)).toBeGreaterThan(Date.now() - 60_000);

    await upload('counted', randomBytes(10));
    const unchanged = await glacier.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'counted' }));
    expect(unchanged.NumberOfArchives).toBe(2);
  });

  it('answers 404 with the vault ARN for a vault that does not exist', async () => {
    const error = await failure(glacier.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'no-such-vault' })));
    expect(error.name).toBe('ResourceNotFoundException');
    expect(error.$metadata.httpStatusCode).toBe(404);
    expect(error.message).toBe(`Vault not found for ARN: ${arn('no-such-vault')}`);
  });
});

describe('ListVaults', () => {
  let account: TestServer;
  let client: GlacierClient;
  const names = ['b', 'B', 'a.1', 'a-1', 'a_1', 'Z', 'z', '0', '9x', 'm', 'M2', 'q'];

  beforeAll(async () => {
    account = await startTestServer({ COLDVAULT_ACCOUNT_ID: '210987654321' });
    client = account.client();
    for (const vaultName of names) await client.send(new CreateVaultCommand({ accountId: '-', vaultName }));
  });
  afterAll(() => account.destroy());

  it('lists 10 by default in ASCII order, with a Marker to the rest', async () => {
    const sorted = [...names].sort((x, y) => (x < y ? -1 : 1));
    const first = await client.send(new ListVaultsCommand({ accountId: '-' }));
    expect(first.VaultList?.map((vault) => vault.VaultName)).toEqual(sorted.slice(0, 10));
    expect(first.Marker).toBe(`arn:aws:glacier:us-east-1:210987654321:vaults/${sorted[9]}`);
    const second = await client.send(new ListVaultsCommand({ accountId: '-', marker: first.Marker }));
    expect(second.VaultList?.map((vault) => vault.VaultName)).toEqual(sorted.slice(10));
    expect(second.Marker).toBeUndefined();
  });

  it('honours limit, and the SDK paginator walks every vault once', async () => {
    const page = await client.send(new ListVaultsCommand({ accountId: '-', limit: 3 }));
    expect(page.VaultList).toHaveLength(3);
    const seen: string[] = [];
    for await (const p of paginateListVaults({ client, pageSize: 5 }, { accountId: '-' })) {
      seen.push(...(p.VaultList ?? []).map((vault) => vault.VaultName as string));
    }
    expect(seen.sort()).toEqual([...names].sort());
  });

  it("takes an empty limit and marker as not given, as Glacier's own ListVaults example sends them", async () => {
    const sorted = [...names].sort((x, y) => (x < y ? -1 : 1));
    const page = await client.send(new ListVaultsCommand({ accountId: '-', limit: '' as unknown as number, marker: '' }));
    expect(page.VaultList?.map((vault) => vault.VaultName)).toEqual(sorted.slice(0, 10));
    expect(page.Marker).toBe(`arn:aws:glacier:us-east-1:210987654321:vaults/${sorted[9]}`);
  });

  it.each(['0', '-1', 'ten', '1001'])('refuses limit=%s', async (limit) => {
    const error = await failure(client.send(new ListVaultsCommand({ accountId: '-', limit: limit as unknown as number })));
    expect(error.name).toBe('InvalidParameterValueException');
  });

  it('refuses a marker that is not a vault ARN of the account', async () => {
    const error = await failure(client.send(new ListVaultsCommand({ accountId: '-', marker: 'garbage' })));
    expect(error.name).toBe('InvalidParameterValueException');
  });

  it("does not list another account's vaults", async () => {
    const mine = await glacier.send(new ListVaultsCommand({ accountId: '-', limit: 1000 }));
    expect(mine.VaultList?.some((vault) => vault.VaultARN?.includes('210987654321'))).toBe(false);
  });
});

describe('UploadArchive', () => {
  beforeAll(() => glacier.send(new CreateVaultCommand({ accountId: '-', vaultName: 'uploads' })));

  it('stores the archive and answers its ID, tree hash and Location', async () => {
    const body = randomBytes(3 * 1024 * 1024 + 17);
    const out = await upload('uploads', body, 'backup 2026-11-21');
    expect(out.$metadata.httpStatusCode).toBe(201);
    expect(out.archiveId).toHaveLength(138);
    expect(out.checksum).toBe(treeHash(body).toString('hex'));
    expect(out.location).toBe(`/${ACCOUNT}/vaults/uploads/archives/${out.archiveId}`);
  });

  it('gives identical bytes a new ID every time', async () => {
    const body = randomBytes(4096);
    const [a, b] = [await upload('uploads', body), await upload('uploads', body)];
    expect(a.archiveId).not.toBe(b.archiveId);
    expect(a.checksum).toBe(b.checksum);
  });

  it('refuses a wrong tree hash and stores nothing', async () => {
    await glacier.send(new CreateVaultCommand({ accountId: '-', vaultName: 'bad-hash' }));
    const objectsBefore = await storedObjectCount();
    const body = randomBytes(2048);
    const wrong = 'ab'.repeat(32);
    const error = await failure(glacier.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'bad-hash', body, checksum: wrong })));
    expect(error.name).toBe('InvalidParameterValueException');
    expect(error.message).toBe(`Checksum mismatch: expected ${wrong}, computed ${treeHash(body).toString('hex')}`);
    expect(await storedObjectCount()).toBe(objectsBefore);
    await server.runInventory();
    const vault = await glacier.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'bad-hash' }));
    expect(vault.NumberOfArchives).toBe(0);
  });

  it('accepts a 1,024-character printable description and refuses longer or unprintable ones', async () => {
    const printable = Array.from({ length: 1024 }, (_, i) => String.fromCharCode(0x20 + ((i + 1) % 95))).join(''); // no edge spaces: HTTP trims them
    await expect(upload('uploads', randomBytes(10), printable)).resolves.toBeDefined();
    for (const description of [`${printable}x`, 'tab\there']) {
      const error = await failure(upload('uploads', randomBytes(10), description));
      expect(error.name).toBe('InvalidParameterValueException');
      expect(error.message).toMatch(/Invalid archive description/);
    }
  });

  it('answers 404 for a vault that does not exist and stores nothing', async () => {
    const objectsBefore = await storedObjectCount();
    const error = await failure(upload('not-a-vault', randomBytes(10)));
    expect(error.name).toBe('ResourceNotFoundException');
    expect(error.message).toBe(`Vault not found for ARN: ${arn('not-a-vault')}`);
    expect(await storedObjectCount()).toBe(objectsBefore);
  });
});

describe('DeleteArchive and DeleteVault', () => {
  it('deletes an archive, again without error, and 404s one that never existed', async () => {
    await glacier.send(new CreateVaultCommand({ accountId: '-', vaultName: 'deletes' }));
    const { archiveId } = await upload('deletes', randomBytes(100));
    const first = await glacier.send(new DeleteArchiveCommand({ accountId: '-', vaultName: 'deletes', archiveId }));
    expect(first.$metadata.httpStatusCode).toBe(204);
    const again = await glacier.send(new DeleteArchiveCommand({ accountId: '-', vaultName: 'deletes', archiveId }));
    expect(again.$metadata.httpStatusCode).toBe(204);
    const error = await failure(
      glacier.send(new DeleteArchiveCommand({ accountId: '-', vaultName: 'deletes', archiveId: 'never-existed' })),
    );
    expect(error.name).toBe('ResourceNotFoundException');
    expect(error.$metadata.httpStatusCode).toBe(404);
  });

  it('deletes a vault that never held an archive at once, and deleting it again succeeds', async () => {
    await glacier.send(new CreateVaultCommand({ accountId: '-', vaultName: 'empty' }));
    expect((await glacier.send(new DeleteVaultCommand({ accountId: '-', vaultName: 'empty' }))).$metadata.httpStatusCode).toBe(204);
    expect((await glacier.send(new DeleteVaultCommand({ accountId: '-', vaultName: 'empty' }))).$metadata.httpStatusCode).toBe(204);
    const error = await failure(glacier.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'empty' })));
    expect(error.name).toBe('ResourceNotFoundException');
  });

  it('refuses to delete a vault until an inventory shows it empty with no writes since', async () => {
    const vaultName = 'full';
    await glacier.send(new CreateVaultCommand({ accountId: '-', vaultName }));
    const { archiveId } = await upload(vaultName, randomBytes(100));
    const notEmpty = `Vault not empty or recently written to: ${arn(vaultName)}`;

    let error = await failure(glacier.send(new DeleteVaultCommand({ accountId: '-', vaultName })));
    expect(error.name).toBe('InvalidParameterValueException');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.message).toBe(notEmpty);

    await server.runInventory();
    error = await failure(glacier.send(new DeleteVaultCommand({ accountId: '-', vaultName })));
    expect(error.message).toBe(notEmpty);

    await glacier.send(new DeleteArchiveCommand({ accountId: '-', vaultName, archiveId }));
    error = await failure(glacier.send(new DeleteVaultCommand({ accountId: '-', vaultName })));
    expect(error.message).toBe(notEmpty);

    await server.runInventory();
    await glacier.send(new DeleteVaultCommand({ accountId: '-', vaultName }));
    error = await failure(glacier.send(new DescribeVaultCommand({ accountId: '-', vaultName })));
    expect(error.name).toBe('ResourceNotFoundException');
  });

  it('refuses again after a write that follows the inventory', async () => {
    const vaultName = 'written-after';
    await glacier.send(new CreateVaultCommand({ accountId: '-', vaultName }));
    const { archiveId } = await upload(vaultName, randomBytes(100));
    await glacier.send(new DeleteArchiveCommand({ accountId: '-', vaultName, archiveId }));
    await server.runInventory();
    await upload(vaultName, randomBytes(100));
    const error = await failure(glacier.send(new DeleteVaultCommand({ accountId: '-', vaultName })));
    expect(error.message).toBe(`Vault not empty or recently written to: ${arn(vaultName)}`);
  });
});
