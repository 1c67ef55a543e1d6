// The behaviour every MetadataStore must have: run against the in-memory fake (unit) and
// the DynamoDB adapter on dynalite (integration), so the fake can stand in for the real one.
import { newArchiveId } from '../../lambda/domain/ids';
import type { ArchiveRecord, InventoryEntry, InventorySummary, MetadataStore, VaultRecord } from '../../lambda/domain/ports';
import { inParallel, listAfterLastId, readAll } from './paging';
import { ACCOUNT, OTHER_ACCOUNT } from './accounts';

const CREATED = '2024-03-01T10:00:00.000Z';

const vault = (vaultName: string, accountId = ACCOUNT, creationDate = CREATED): VaultRecord => ({ accountId, vaultName, creationDate });

function archive(vaultName: string, overrides: Partial<ArchiveRecord> = {}): ArchiveRecord {
  const archiveId = overrides.archiveId ?? newArchiveId();
  return {
    accountId: ACCOUNT,
    vaultName,
    archiveId,
    description: 'a description',
    size: 1234,
    treeHash: 'ab'.repeat(32),
    creationDate: '2024-03-01T11:00:00.000Z',
    layout: { kind: 'blob', blobKey: `${ACCOUNT}/archives/${archiveId}` },
    ...overrides,
  };
}

function summary(id: string, asOfMs: number, numberOfArchives = 0, chunks = 0): InventorySummary {
  return { id, date: new Date(asOfMs).toISOString(), asOfMs, numberOfArchives, sizeInBytes: numberOfArchives * 10, chunks };
}

function entries(count: number, tag: string): InventoryEntry[] {
  return Array.from({ length: count }, (_, i) => ({
    ArchiveId: `${tag}-${i}`,
    ArchiveDescription: `entry ${i} of ${tag}`,
    CreationDate: CREATED,
    Size: i + 1,
    SHA256TreeHash: 'cd'.repeat(32),
  }));
}

// Names that sort differently by case and punctuation: ASCII puts '-' < '.' < digits < upper case < '_' < lower case.
const VAULT_NAMES = [
  'alpha',
  'Alpha',
  'ALPHA',
  'alpha-1',
  'alpha.1',
  'alpha_1',
  'alpha1',
  'beta',
  'Beta',
  '_under',
  '-dash',
  '.dot',
  '0zero',
  '9nine',
  'Zulu',
  'zulu',
  'a',
  'A',
  'a-',
  'a.',
  'a_',
  'aa',
  'aB',
  'ab',
  'middle.name-with_all',
];

export function metadataStoreContract(makeStore: () => Promise<MetadataStore>): void {
  let store: MetadataStore;

  beforeEach(async () => {
    store = await makeStore();
  });

  describe('vaults', () => {
    it('creates a vault once and reads it back', async () => {
      expect(await store.getVault(ACCOUNT, 'v1')).toBeUndefined();
      expect(await store.createVault(vault('v1'))).toBe(true);
      expect(await store.createVault(vault('v1', ACCOUNT, '2030-01-01T00:00:00.000Z'))).toBe(false);
      expect(await store.getVault(ACCOUNT, 'v1')).toEqual({ accountId: ACCOUNT, vaultName: 'v1', creationDate: CREATED });
      expect(await store.getVault(OTHER_ACCOUNT, 'v1')).toBeUndefined();
    });

    it('counts the vaults of one account', async () => {
      expect(await store.countVaults(ACCOUNT)).toBe(0);
      await inParallel(VAULT_NAMES, 5, (name) => store.createVault(vault(name)));
      await store.createVault(vault('elsewhere', OTHER_ACCOUNT));
      expect(VAULT_NAMES).toHaveLength(25);
      expect(await store.countVaults(ACCOUNT)).toBe(25);
      expect(await store.countVaults(OTHER_ACCOUNT)).toBe(1);
    });

    it('lists 25 vaults in pages of 10 in ASCII order, with a cursor only while more exist', async () => {
      await inParallel(VAULT_NAMES, 5, (name) => store.createVault(vault(name)));
      await store.createVault(vault('aaa-other-account', OTHER_ACCOUNT));

      const pages = await listAfterLastId(
        (startAfter) => store.listVaults(ACCOUNT, startAfter, 10),
        (item) => item.vaultName,
      );

      expect(pages.map((page) => page.items.length)).toEqual([10, 10, 5]);
      expect(pages.map((page) => page.cursor !== undefined)).toEqual([true, true, false]);
      const names = pages.flatMap((page) => page.items.map((item) => item.vaultName));
      expect(names).toEqual([...VAULT_NAMES].sort());
      expect(names.slice(0, 5)).toEqual(['-dash', '.dot', '0zero', '9nine', 'A']);
      expect(names.indexOf('Zulu')).toBeLessThan(names.indexOf('_under'));
      expect(names.indexOf('_under')).toBeLessThan(names.indexOf('a'));
      expect(names.indexOf('a')).toBeLessThan(names.indexOf('a-'));
      expect(names.indexOf('aB')).toBeLessThan(names.indexOf('a_'));
      expect(names.indexOf('a_')).toBeLessThan(names.indexOf('aa'));
    });

    it('lists from a name that does not exist, and ends without a cursor on an exactly full page', async () => {
      await inParallel(['a', 'b', 'c', 'd'], 4, (name) => store.createVault(vault(name)));
      const page = await store.listVaults(ACCOUNT, 'bb', 2);
      expect(page.items.map((item) => item.vaultName)).toEqual(['c', 'd']);
      expect(page.cursor).toBeUndefined();
      expect((await store.listVaults(ACCOUNT, 'd', 10)).items).toEqual([]);
      expect((await store.listVaults(OTHER_ACCOUNT, undefined, 10)).items).toEqual([]);
    });

    it('scans every vault of every account exactly once, with their state', async () => {
      const names = Array.from({ length: 30 }, (_, i) => `scan-${i}`);
      await inParallel(names, 5, (name) => store.createVault(vault(name)));
      await store.createVault(vault('scan-x', OTHER_ACCOUNT));
      await store.recordVaultWrite(ACCOUNT, 'scan-3', 1000);
      await store.commitInventory(vault('scan-3'), summary('inv-a', 2000, 1, 1));

      const { items } = await readAll((cursor) => store.scanVaults(cursor));
      expect(items.map((item) => `${item.accountId}/${item.vaultName}`).sort()).toEqual(
        [...names.map((name) => `${ACCOUNT}/${name}`), `${OTHER_ACCOUNT}/scan-x`].sort(),
      );
      expect(items.find((item) => item.vaultName === 'scan-3')).toEqual({
        ...vault('scan-3'),
        lastWriteMs: 1000,
        inventory: summary('inv-a', 2000, 1, 1),
      });
    });

    it('stamps writes only on a vault that exists, and says which vault it stamped by its creation date', async () => {
      expect(await store.recordVaultWrite(ACCOUNT, 'ghost', 5)).toBeUndefined();
      expect(await store.getVault(ACCOUNT, 'ghost')).toBeUndefined();
      const created = vault('v');
      await store.createVault(created);
      expect(await store.recordVaultWrite(ACCOUNT, 'v', 5)).toBe(created.creationDate);
      expect((await store.getVault(ACCOUNT, 'v'))?.lastWriteMs).toBe(5);
      expect(await store.recordVaultWrite(ACCOUNT, 'v', 9)).toBe(created.creationDate);
      expect((await store.getVault(ACCOUNT, 'v'))?.lastWriteMs).toBe(9);
      expect(await store.getVault(ACCOUNT, 'v')).toEqual({ ...created, lastWriteMs: 9 });
    });
  });

  describe('deleteVaultIfIdle', () => {
    it('reports a vault that does not exist as absent', async () => {
      expect(await store.deleteVaultIfIdle(ACCOUNT, 'ghost')).toBe('absent');
    });

    it('deletes a vault that was never written to', async () => {
      await store.createVault(vault('v'));
      expect(await store.deleteVaultIfIdle(ACCOUNT, 'v')).toBe('deleted');
      expect(await store.getVault(ACCOUNT, 'v')).toBeUndefined();
      expect(await store.countVaults(ACCOUNT)).toBe(0);
      expect(await store.deleteVaultIfIdle(ACCOUNT, 'v')).toBe('absent');
    });

    it('keeps a written vault that has no inventory yet', async () => {
      await store.createVault(vault('v'));
      await store.recordVaultWrite(ACCOUNT, 'v', 1000);
      expect(await store.deleteVaultIfIdle(ACCOUNT, 'v')).toBe('not-empty');
      expect(await store.getVault(ACCOUNT, 'v')).toBeDefined();
    });

    it('keeps a vault whose inventory shows archives', async () => {
      await store.createVault(vault('v'));
      await store.recordVaultWrite(ACCOUNT, 'v', 1000);
      await store.commitInventory(vault('v'), summary('inv', 2000, 1, 1));
      expect(await store.deleteVaultIfIdle(ACCOUNT, 'v')).toBe('not-empty');
    });

    it('keeps a vault written to at or after its empty inventory', async () => {
      await store.createVault(vault('v'));
      await store.recordVaultWrite(ACCOUNT, 'v', 1000);
      await store.commitInventory(vault('v'), summary('inv', 2000));
      await store.recordVaultWrite(ACCOUNT, 'v', 2000);
      expect(await store.deleteVaultIfIdle(ACCOUNT, 'v')).toBe('not-empty');
      await store.recordVaultWrite(ACCOUNT, 'v', 3000);
      expect(await store.deleteVaultIfIdle(ACCOUNT, 'v')).toBe('not-empty');
      expect(await store.getVault(ACCOUNT, 'v')).toBeDefined();
    });

    it('deletes a vault whose empty inventory is newer than its last write', async () => {
      await store.createVault(vault('v'));
      await store.recordVaultWrite(ACCOUNT, 'v', 1000);
      await store.commitInventory(vault('v'), summary('inv', 1001));
      expect(await store.deleteVaultIfIdle(ACCOUNT, 'v')).toBe('deleted');
      expect(await store.getVault(ACCOUNT, 'v')).toBeUndefined();
    });
  });

  describe('archives', () => {
    it('stores and reads an archive, an empty description included', async () => {
      const record = archive('v', { description: '' });
      await store.createArchive(record);
      expect(await store.getArchive(ACCOUNT, 'v', record.archiveId)).toEqual(record);
      expect(await store.getArchive(ACCOUNT, 'other', record.archiveId)).toBeUndefined();
      expect(await store.getArchive(OTHER_ACCOUNT, 'v', record.archiveId)).toBeUndefined();
    });

    it('creates an archive record only once', async () => {
      const record = archive('v');
      expect(await store.createArchive(record)).toBe(true);
      await store.markArchiveDeleted(ACCOUNT, 'v', record.archiveId, '2024-04-01T00:00:00.000Z');
      expect(await store.createArchive({ ...record, description: 'again' })).toBe(false);
      expect(await store.getArchive(ACCOUNT, 'v', record.archiveId)).toEqual({ ...record, deletedDate: '2024-04-01T00:00:00.000Z' });
    });

    it("stores the layout of an archive made of a multipart upload's parts", async () => {
      const record = archive('v', { layout: { kind: 'parts', uploadId: 'upload-1', partSize: 1048576, count: 1001, chunks: 2 } });
      await store.createArchive(record);
      expect(await store.getArchive(ACCOUNT, 'v', record.archiveId)).toEqual(record);
    });

    it('marks an archive deleted once', async () => {
      const record = archive('v');
      await store.createArchive(record);
      expect(await store.markArchiveDeleted(ACCOUNT, 'v', 'never-existed', '2024-04-01T00:00:00.000Z')).toBe('absent');
      expect(await store.getArchive(ACCOUNT, 'v', 'never-existed')).toBeUndefined();
      expect(await store.markArchiveDeleted(ACCOUNT, 'v', record.archiveId, '2024-04-01T00:00:00.000Z')).toBe('deleted');
      expect(await store.getArchive(ACCOUNT, 'v', record.archiveId)).toEqual({ ...record, deletedDate: '2024-04-01T00:00:00.000Z' });
      expect(await store.markArchiveDeleted(ACCOUNT, 'v', record.archiveId, '2024-05-01T00:00:00.000Z')).toBe('already-deleted');
      expect((await store.getArchive(ACCOUNT, 'v', record.archiveId))?.deletedDate).toBe('2024-04-01T00:00:00.000Z');
    });

    it('lists an empty vault as one empty page', async () => {
      expect(await store.listArchives(ACCOUNT, 'empty')).toEqual({ items: [] });
    });

    it('pages through 1,050 archives, deleted ones included, returning each exactly once', async () => {
      const records = Array.from({ length: 1050 }, (_, i) => archive('big', { size: i + 1 }));
      await inParallel(records, 10, (record) => store.createArchive(record));
      await store.createArchive(archive('neighbour'));
      await store.markArchiveDeleted(ACCOUNT, 'big', records[7].archiveId, '2024-04-01T00:00:00.000Z');

      const { items, pages } = await readAll((cursor) => store.listArchives(ACCOUNT, 'big', cursor));
      expect(pages).toBeGreaterThan(1);
      expect(items).toHaveLength(1050);
      expect(new Set(items.map((item) => item.archiveId)).size).toBe(1050);
      expect(items.map((item) => item.archiveId).sort()).toEqual(records.map((record) => record.archiveId).sort());
      expect(items.find((item) => item.archiveId === records[7].archiveId)?.deletedDate).toBe('2024-04-01T00:00:00.000Z');
      expect(items.find((item) => item.archiveId === records[99].archiveId)).toEqual(records[99]);
    });
  });

  describe('inventory chunks', () => {
    it('stores, reads and deletes chunks of one inventory only', async () => {
      expect(await store.getInventoryChunk(ACCOUNT, 'v', 'inv-1', 0)).toBeUndefined();
      await store.putInventoryChunk(ACCOUNT, 'v', 'inv-1', 0, entries(3, 'a'));
      await store.putInventoryChunk(ACCOUNT, 'v', 'inv-1', 1, entries(2, 'b'));
      await store.putInventoryChunk(ACCOUNT, 'v', 'inv-10', 0, entries(1, 'c'));
      expect(await store.getInventoryChunk(ACCOUNT, 'v', 'inv-1', 0)).toEqual(entries(3, 'a'));
      expect(await store.getInventoryChunk(ACCOUNT, 'v', 'inv-1', 1)).toEqual(entries(2, 'b'));
      expect(await store.getInventoryChunk(ACCOUNT, 'other', 'inv-1', 0)).toBeUndefined();

      await store.deleteInventoryChunks(ACCOUNT, 'v', 'inv-1', 2);
      expect(await store.getInventoryChunk(ACCOUNT, 'v', 'inv-1', 0)).toBeUndefined();
      expect(await store.getInventoryChunk(ACCOUNT, 'v', 'inv-1', 1)).toBeUndefined();
      expect(await store.getInventoryChunk(ACCOUNT, 'v', 'inv-10', 0)).toEqual(entries(1, 'c'));
    });

    it('deletes 30 chunks (more than one batch)', async () => {
      const indexes = Array.from({ length: 30 }, (_, i) => i);
      await inParallel(indexes, 10, (i) => store.putInventoryChunk(ACCOUNT, 'v', 'inv', i, entries(2, `chunk${i}`)));
      expect(await store.getInventoryChunk(ACCOUNT, 'v', 'inv', 29)).toEqual(entries(2, 'chunk29'));
      await store.deleteInventoryChunks(ACCOUNT, 'v', 'inv', 30);
      for (const i of indexes) expect(await store.getInventoryChunk(ACCOUNT, 'v', 'inv', i)).toBeUndefined();
    });
  });

  describe('commitInventory', () => {
    it('refuses a vault that does not exist', async () => {
      expect(await store.commitInventory(vault('ghost'), summary('inv', 1000))).toBe(false);
      expect(await store.getVault(ACCOUNT, 'ghost')).toBeUndefined();
    });

    it('points the vault at newer inventories and returns the one replaced', async () => {
      await store.createVault(vault('v'));
      expect(await store.commitInventory(vault('v'), summary('inv-1', 1000, 2, 1))).toEqual({ replaced: undefined });
      expect((await store.getVault(ACCOUNT, 'v'))?.inventory).toEqual(summary('inv-1', 1000, 2, 1));
      expect(await store.commitInventory(vault('v'), summary('inv-2', 2000, 3, 2))).toEqual({ replaced: summary('inv-1', 1000, 2, 1) });
      expect((await store.getVault(ACCOUNT, 'v'))?.inventory).toEqual(summary('inv-2', 2000, 3, 2));
    });

    it('refuses an inventory no newer than the current one', async () => {
      await store.createVault(vault('v'));
      await store.commitInventory(vault('v'), summary('inv-2', 2000, 3, 2));
      expect(await store.commitInventory(vault('v'), summary('inv-1', 1000))).toBe(false);
      expect(await store.commitInventory(vault('v'), summary('inv-same', 2000))).toBe(false);
      expect((await store.getVault(ACCOUNT, 'v'))?.inventory).toEqual(summary('inv-2', 2000, 3, 2));
    });

    it('refuses a vault that was deleted and created again', async () => {
      await store.createVault(vault('v'));
      const scanned = await store.getVault(ACCOUNT, 'v');
      expect(await store.deleteVaultIfIdle(ACCOUNT, 'v')).toBe('deleted');
      await store.createVault(vault('v', ACCOUNT, '2024-03-02T10:00:00.000Z'));
      expect(await store.commitInventory(scanned as VaultRecord, summary('inv', 5000))).toBe(false);
      expect((await store.getVault(ACCOUNT, 'v'))?.inventory).toBeUndefined();
    });
  });
}
