import { deleteArchive } from '../../lambda/domain/archives';
import { INVENTORY_CHUNK_BYTES, REPLACED_INVENTORY_GRACE_MS, inventoryAllVaults, inventoryVault } from '../../lambda/domain/inventory';
import { runJanitor } from '../../lambda/domain/janitor';
import { createVault, deleteVault } from '../../lambda/domain/vaults';
import type { ArchiveRecord, InventoryEntry, InventorySummary, Page, VaultRecord } from '../../lambda/domain/ports';
import { MemoryMetadataStore, memoryServices, type MemoryServices } from '../support/memory-stores';
import { ACCOUNT, interleave, upload } from '../support/domain-helpers';

const PAGE = 50;

/** The in-memory store, noting the order in which the inventory reads pages and writes chunks. */
class RecordingStore extends MemoryMetadataStore {
  readonly events: string[] = [];

  async listArchives(accountId: string, vaultName: string, cursor?: string): Promise<Page<ArchiveRecord>> {
    const page = await super.listArchives(accountId, vaultName, cursor);
    this.events.push(`page:${page.items.length}`);
    return page;
  }

  async putInventoryChunk(
    accountId: string,
    vaultName: string,
    inventoryId: string,
    index: number,
    entries: InventoryEntry[],
  ): Promise<void> {
    this.events.push(`chunk:${index}`);
    await super.putInventoryChunk(accountId, vaultName, inventoryId, index, entries);
  }
}

let store: RecordingStore;
let svc: MemoryServices;

beforeEach(async () => {
  store = new RecordingStore({ archivePageSize: PAGE });
  svc = memoryServices(store);
  await createVault(svc, ACCOUNT, 'v');
});

const vault = async (name = 'v') => (await svc.metadata.getVault(ACCOUNT, name)) as VaultRecord;

async function readChunks(name: string, summary: InventorySummary): Promise<InventoryEntry[][]> {
  const chunks: InventoryEntry[][] = [];
  for (let index = 0; index < summary.chunks; index += 1) {
    const chunk = await svc.metadata.getInventoryChunk(ACCOUNT, name, summary.id, index);
    if (!chunk) throw new Error(`chunk ${index} of ${summary.id} is missing`);
    chunks.push(chunk);
  }
  return chunks;
}

/** Archives with 1,000-character descriptions, so that a few hundred fill several chunks. */
async function uploadMany(count: number): Promise<{ archiveId: string; size: number; description: string; treeHash: string }[]> {
  const uploaded = [];
  for (let i = 0; i < count; i += 1) {
    const body = Buffer.alloc(1 + (i % 17), i % 256);
    const description = `archive ${i} `.padEnd(1000, '~');
    uploaded.push({ ...(await upload(svc, 'v', body, description)), size: body.length, description });
  }
  return uploaded;
}

describe('inventoryVault', () => {
  it('takes an empty vault in no chunks', async () => {
    svc.advance(1000);
    const summary = await inventoryVault(svc, await vault());
    expect(summary).toMatchObject({
      numberOfArchives: 0,
      sizeInBytes: 0,
      chunks: 0,
      date: '2024-06-01T12:00:01.000Z',
      asOfMs: Date.parse('2024-06-01T12:00:01.000Z'),
    });
    expect((await vault()).inventory).toEqual(summary);
  });

  it('writes the live archives in several bounded chunks, each exactly once', async () => {
    const uploaded = await uploadMany(600);
    const deleted = new Set(uploaded.filter((_, i) => i % 12 === 5).map((archive) => archive.archiveId));
    for (const archiveId of deleted) await deleteArchive(svc, ACCOUNT, 'v', archiveId);
    const live = uploaded.filter((archive) => !deleted.has(archive.archiveId));
    svc.advance(1000);

    const summary = (await inventoryVault(svc, await vault())) as InventorySummary;
    expect(summary).toMatchObject({ numberOfArchives: live.length, sizeInBytes: live.reduce((sum, archive) => sum + archive.size, 0) });
    expect(summary.chunks).toBeGreaterThanOrEqual(3);
    expect((await vault()).inventory).toEqual(summary);

    const chunks = await readChunks('v', summary);
    expect(await svc.metadata.getInventoryChunk(ACCOUNT, 'v', summary.id, summary.chunks)).toBeUndefined();
    const entries = chunks.flat();
    expect(entries.map((entry) => entry.ArchiveId).sort()).toEqual(live.map((archive) => archive.archiveId).sort());
    const byId = new Map(entries.map((entry) => [entry.ArchiveId, entry]));
    for (const archive of live) {
      expect(byId.get(archive.archiveId)).toEqual({
        ArchiveId: archive.archiveId,
        ArchiveDescription: archive.description,
        CreationDate: '2024-06-01T12:00:00.000Z',
        Size: archive.size,
        SHA256TreeHash: archive.treeHash,
      });
    }
    // Each chunk fits a DynamoDB item (400 KB); all but the last are full.
    const sizes = chunks.map((chunk) => chunk.reduce((sum, entry) => sum + JSON.stringify(entry).length, 0));
    for (const chunk of chunks) expect(Buffer.byteLength(JSON.stringify(chunk))).toBeLessThan(400_000);
    for (const size of sizes.slice(0, -1)) expect(size).toBeGreaterThanOrEqual(INVENTORY_CHUNK_BYTES);
  });

  it('reads the archives page by page and writes chunks while it reads', async () => {
    await uploadMany(600);
    store.events.length = 0;
    svc.advance(1000);
    const summary = (await inventoryVault(svc, await vault())) as InventorySummary;

    const pages = store.events.filter((event) => event.startsWith('page:'));
    expect(pages.length).toBeGreaterThanOrEqual(600 / PAGE);
    expect(pages.every((event) => Number(event.slice('page:'.length)) <= PAGE)).toBe(true);
    expect(store.events.filter((event) => event.startsWith('chunk:'))).toEqual(
      Array.from({ length: summary.chunks }, (_, i) => `chunk:${i}`),
    );
    // The first chunk is written before the last page is read: nothing holds the whole vault.
    const lastPage = store.events.lastIndexOf(pages[pages.length - 1]);
    expect(store.events.indexOf('chunk:0')).toBeGreaterThanOrEqual(0);
    expect(store.events.indexOf('chunk:0')).toBeLessThan(lastPage);
  });

  it('removes the chunks of the inventory it replaces through the janitor, an hour later', async () => {
    await uploadMany(400);
    svc.advance(1000);
    const first = (await inventoryVault(svc, await vault())) as InventorySummary;
    expect(first.chunks).toBeGreaterThanOrEqual(2);
    await uploadMany(1);
    svc.advance(1000);
    const second = (await inventoryVault(svc, await vault())) as InventorySummary;

    expect(second.id).not.toBe(first.id);
    expect(second.numberOfArchives).toBe(401);
    // A job may be reading the replaced snapshot: it stays for an hour.
    expect((await readChunks('v', first)).flat()).toHaveLength(400);
    // Queued before the writes: each snapshot's removal in case it is never committed (left
    // alone while the vault points at it), and the replaced one's an hour on.
    const inventoryTasks = svc.purges.pending().filter(({ task }) => task.kind === 'inventory');
    expect(inventoryTasks).toContainEqual({
      dueMs: svc.now().getTime() + REPLACED_INVENTORY_GRACE_MS,
      task: { kind: 'inventory', accountId: ACCOUNT, vaultName: 'v', inventoryId: first.id, chunks: first.chunks },
    });
    expect(inventoryTasks.map(({ task }) => (task as { inventoryId: string }).inventoryId).sort()).toEqual(
      [first.id, first.id, second.id].sort(),
    );
    svc.advance(REPLACED_INVENTORY_GRACE_MS - 1);
    expect(await runJanitor(svc)).toEqual({ uploads: 0, purges: 0 });
    expect(svc.metadata.inventoryChunkCount()).toBe(first.chunks + second.chunks);

    svc.advance(1);
    expect(await runJanitor(svc)).toEqual({ uploads: 0, purges: 1 });
    for (let index = 0; index < first.chunks; index += 1) {
      expect(await svc.metadata.getInventoryChunk(ACCOUNT, 'v', first.id, index)).toBeUndefined();
    }
    expect((await readChunks('v', second)).flat()).toHaveLength(401);
    expect(svc.metadata.inventoryChunkCount()).toBe(second.chunks);
  });

  it('leaves no chunks behind for a vault deleted or recreated during the scan', async () => {
    const scanned = await vault();
    await deleteVault(svc, ACCOUNT, 'v');
    svc.advance(1000);
    await createVault(svc, ACCOUNT, 'v');
    await uploadMany(300);
    svc.advance(1000);
    expect(await inventoryVault(svc, scanned)).toBeUndefined();
    expect(svc.metadata.inventoryChunkCount()).toBe(0);
    expect((await vault()).inventory).toBeUndefined();
  });

  // DescribeVault's counts are "as of the last inventory date", and an inventory taken before a
  // delete still lists the archive: the snapshot is the vault at its InventoryDate.
  it('leaves an archive uploaded during the scan to the next inventory', async () => {
    const before = await upload(svc, 'v', 'before');
    svc.advance(1000);
    let during = '';
    interleave(store, 'listArchives', async () => {
      svc.advance(1000);
      during = (await upload(svc, 'v', 'during the scan')).archiveId;
    });
    const summary = (await inventoryVault(svc, await vault())) as InventorySummary;
    expect(summary).toMatchObject({ numberOfArchives: 1, sizeInBytes: 'before'.length });
    const entries = (await readChunks('v', summary)).flat();
    expect(entries.map((entry) => entry.ArchiveId)).toEqual([before.archiveId]);
    for (const entry of entries) expect(entry.CreationDate <= summary.date).toBe(true);

    svc.advance(1000);
    const next = (await inventoryVault(svc, await vault())) as InventorySummary;
    expect(next).toMatchObject({ numberOfArchives: 2, sizeInBytes: 'before'.length + 'during the scan'.length });
    expect(
      (await readChunks('v', next))
        .flat()
        .map((entry) => entry.ArchiveId)
        .sort(),
    ).toEqual([before.archiveId, during].sort());
  });

  it('lists an archive deleted during the scan, and leaves it out of the next inventory', async () => {
    const kept = await upload(svc, 'v', 'kept');
    const deleted = await upload(svc, 'v', 'deleted during the scan');
    svc.advance(1000);
    interleave(store, 'listArchives', async () => {
      svc.advance(1000);
      await deleteArchive(svc, ACCOUNT, 'v', deleted.archiveId);
    });
    const summary = (await inventoryVault(svc, await vault())) as InventorySummary;
    expect(summary).toMatchObject({ numberOfArchives: 2, sizeInBytes: 'kept'.length + 'deleted during the scan'.length });
    expect(
      (await readChunks('v', summary))
        .flat()
        .map((entry) => entry.ArchiveId)
        .sort(),
    ).toEqual([kept.archiveId, deleted.archiveId].sort());

    svc.advance(1000);
    const next = (await inventoryVault(svc, await vault())) as InventorySummary;
    expect(next).toMatchObject({ numberOfArchives: 1, sizeInBytes: 'kept'.length });
    expect((await readChunks('v', next)).flat().map((entry) => entry.ArchiveId)).toEqual([kept.archiveId]);
  });

  it('does not go back to an older inventory', async () => {
    await uploadMany(1);
    svc.advance(2000);
    const newer = (await inventoryVault(svc, await vault())) as InventorySummary;
    const late = memoryServices(store, Date.parse('2024-06-01T12:00:01.000Z'));
    expect(await inventoryVault(late, await vault())).toBeUndefined();
    expect((await vault()).inventory).toEqual(newer);
    expect(svc.metadata.inventoryChunkCount()).toBe(newer.chunks);
  });
});

describe('inventoryAllVaults', () => {
  it('takes the inventory of every vault of every account', async () => {
    await createVault(svc, ACCOUNT, 'w');
    await createVault(svc, '210987654321', 'elsewhere');
    await upload(svc, 'w', 'bytes');
    svc.advance(1000);
    expect(await inventoryAllVaults(svc)).toEqual({ vaults: 3, failed: [] });
    expect((await vault('v')).inventory?.numberOfArchives).toBe(0);
    expect((await vault('w')).inventory?.numberOfArchives).toBe(1);
    expect((await svc.metadata.getVault('210987654321', 'elsewhere'))?.inventory).toBeDefined();
  });

  it("goes on past one vault's failure and reports it", async () => {
    class FailingStore extends MemoryMetadataStore {
      async listArchives(accountId: string, vaultName: string, cursor?: string): Promise<Page<ArchiveRecord>> {
        if (vaultName === 'broken') throw new Error('read failed');
        return super.listArchives(accountId, vaultName, cursor);
      }
    }
    const failing = memoryServices(new FailingStore({ vaultPageSize: 2 }));
    for (const name of ['a', 'broken', 'c', 'd']) await createVault(failing, ACCOUNT, name);
    failing.advance(1000);
    const logged: unknown[] = [];
    const run = await inventoryAllVaults(failing, (message, detail) => logged.push({ message, detail }));
    const failure = { accountId: ACCOUNT, vaultName: 'broken', error: 'Error: read failed' };
    expect(run).toEqual({ vaults: 3, failed: [failure] });
    expect(logged).toEqual([{ message: 'inventory failed', detail: failure }]);
    for (const name of ['a', 'c', 'd']) expect((await failing.metadata.getVault(ACCOUNT, name))?.inventory).toBeDefined();
  });
});
