// Access-key secrets never reach a store in the clear: read the stored records raw.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateVaultCommand, DescribeVaultCommand } from '@aws-sdk/client-glacier';
import { DecryptCommand, EncryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import { runAdmin } from '../../lambda/admin/cli';
import type { AccessKeyRecord } from '../../lambda/domain/ports';
import { DynamoIdentityStore } from '../../lambda/store/dynamo-identities';
import { KeyFileSealer } from '../../lambda/store/key-file-sealer';
import { KmsSecretSealer } from '../../lambda/store/kms-sealer';
import { LmdbIdentityStore } from '../../lambda/store/lmdb-identities';
import { SEALED_PREFIX, SealedIdentityStore } from '../../lambda/store/sealed-identities';
import { startDynaliteTables, type DynaliteTables } from '../support/embedded';
import { startTestServer } from '../support/local-server';
import { tempLmdb } from '../support/lmdb';
import { identityStoreContract } from '../support/identity-store.contract';

const ACCOUNT = '111122223333';
const SECRET = 'plain-secret-that-must-not-be-stored-0123456789';
const key = (accessKeyId: string, secretAccessKey = SECRET): AccessKeyRecord => ({
  accessKeyId,
  secretAccessKey,
  accountId: ACCOUNT,
  createdDate: '2026-01-01T00:00:00.000Z',
  status: 'Active',
});

const lmdb = tempLmdb();
const dir = mkdtempSync(join(tmpdir(), 'coldvault-sealed-'));
let dynamo: DynaliteTables;
beforeAll(async () => {
  dynamo = await startDynaliteTables('coldvault-sealed');
});
afterAll(async () => {
  await lmdb.close();
  await dynamo?.close();
  rmSync(dir, { recursive: true, force: true });
});

const sealer = () => new KeyFileSealer(join(dir, 'secrets.key'));

describe('SealedIdentityStore on LMDB', () => {
  identityStoreContract(async () => new SealedIdentityStore(new LmdbIdentityStore(lmdb.fresh()), sealer()));

  it('stores only the sealed secret, and opens it for signing', async () => {
    const env = lmdb.fresh();
    const raw = new LmdbIdentityStore(env);
    const store = new SealedIdentityStore(raw, sealer());
    await store.putKey(key('AKIDSEALED1'));
    const stored = (await raw.getKey('AKIDSEALED1')) as AccessKeyRecord;
    expect(stored.secretAccessKey.startsWith(SEALED_PREFIX)).toBe(true);
    expect(stored.secretAccessKey).not.toContain(SECRET);
    expect(JSON.stringify(env.db('access-keys').getBinary(['AKIDSEALED1', '-'])?.toString())).not.toContain(SECRET);
    expect(await store.lookup('AKIDSEALED1')).toEqual({ accountId: ACCOUNT, secretAccessKey: SECRET });
    expect(statSync(join(dir, 'secrets.key')).mode & 0o777).toBe(0o600);
  });

  it('reads a plaintext secret stored before sealing once, and seals it in place', async () => {
    const raw = new LmdbIdentityStore(lmdb.fresh());
    await raw.putKey(key('AKIDLEGACY1'));
    const store = new SealedIdentityStore(raw, sealer());
    expect((await store.lookup('AKIDLEGACY1'))?.secretAccessKey).toBe(SECRET);
    expect((await raw.getKey('AKIDLEGACY1'))?.secretAccessKey).not.toContain(SECRET);
    expect((await store.lookup('AKIDLEGACY1'))?.secretAccessKey).toBe(SECRET);
  });

  it('refuses a sealed secret copied onto another key', async () => {
    const raw = new LmdbIdentityStore(lmdb.fresh());
    const store = new SealedIdentityStore(raw, sealer());
    await store.putKey(key('AKIDVICTIM1'));
    const sealed = (await raw.getKey('AKIDVICTIM1')) as AccessKeyRecord;
    await raw.putKey({ ...sealed, accessKeyId: 'AKIDTHIEF01' });
    await expect(store.lookup('AKIDTHIEF01')).rejects.toThrow();
  });
});

describe('SealedIdentityStore on dynalite', () => {
  it('stores only the sealed secret in the item', async () => {
    const table = await dynamo.freshTable();
    const store = new SealedIdentityStore(new DynamoIdentityStore(dynamo.client, table), sealer());
    await store.putKey(key('AKIDDYNAMO1'));
    const item = await dynamo.client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'K#AKIDDYNAMO1' }, sk: { S: '-' } } }));
    expect(JSON.stringify(item.Item)).not.toContain(SECRET);
    expect(item.Item?.secret?.S?.startsWith(SEALED_PREFIX)).toBe(true);
    expect((await store.lookup('AKIDDYNAMO1'))?.secretAccessKey).toBe(SECRET);
  });
});

describe('KmsSecretSealer', () => {
  it('encrypts with the key and the access key ID as context, and decrypts once for a while', async () => {
    const calls: { name: string; input: Record<string, unknown> }[] = [];
    const kms = {
      async send(command: EncryptCommand | DecryptCommand) {
        const input = command.input as Record<string, unknown>;
        calls.push({ name: command.constructor.name, input });
        if (command instanceof EncryptCommand)
          return { CiphertextBlob: Buffer.concat([Buffer.from('ct:'), Buffer.from(input.Plaintext as Uint8Array)]) };
        return { Plaintext: Buffer.from(input.CiphertextBlob as Uint8Array).subarray(3) };
      },
    } as unknown as KMSClient;
    let now = 0;
    const sealer = new KmsSecretSealer(kms, 'arn:aws:kms:us-east-1:123456789012:key/k', () => now);
    const sealed = await sealer.seal(SECRET, 'AKID1');
    expect(await sealer.open(sealed, 'AKID1')).toBe(SECRET);
    expect(await sealer.open(sealed, 'AKID1')).toBe(SECRET);
    now += 10 * 60_000;
    expect(await sealer.open(sealed, 'AKID1')).toBe(SECRET);
    expect(calls.map((call) => call.name)).toEqual(['EncryptCommand', 'DecryptCommand', 'DecryptCommand']);
    for (const call of calls) {
      expect(call.input).toMatchObject({
        KeyId: 'arn:aws:kms:us-east-1:123456789012:key/k',
        EncryptionContext: { 'coldvault:accessKeyId': 'AKID1' },
      });
    }
  });
});

describe('npm start and the admin command', () => {
  it('keep no secret in the clear anywhere in the data directory, and the key signs requests', async () => {
    const server = await startTestServer();
    try {
      const created = (await runAdmin(['keys', 'create', '--account', ACCOUNT, '--data-dir', server.dataDir])) as AccessKeyRecord;
      const client = server.client({ credentials: created });
      await client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'sealed' }));
      expect((await client.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'sealed' }))).VaultName).toBe('sealed');
      client.destroy();
      const files = readdirSync(server.dataDir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) {
        const path = join(file.parentPath ?? file.path, file.name);
        expect({ path, holdsSecret: readFileSync(path).includes(created.secretAccessKey) }).toEqual({ path, holdsSecret: false });
      }
    } finally {
      await server.destroy();
    }
  });
});
