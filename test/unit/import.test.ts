// The import's pieces that need no source: the writer on the domain's stores, the daily budget,
// inventory parsing, and what the domain makes of an archive recorded with an older creation date;
// and the import against a stand-in source, for answers of Glacier's that a coldvault never gives.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ImportVerificationError, writeImportedArchive, type ImportedArchive } from '../../lambda/admin/import-writer';
import { budgetAllows } from '../../lambda/admin/import-state';
import { parseInventory, type GlacierSource } from '../../lambda/admin/glacier-source';
import { runImport } from '../../lambda/admin/import';
import { ARCHIVE_BYTES_GRACE_MS, deleteArchive, UNRECORDED_BLOB_GRACE_MS } from '../../lambda/domain/archives';
import { treeHash } from '../../lambda/domain/checksums';
import { readAll } from '../../lambda/domain/blobs';
import { inventoryVault } from '../../lambda/domain/inventory';
import { runJanitor } from '../../lambda/domain/janitor';
import { createVault, deleteVault } from '../../lambda/domain/vaults';
import { memoryServices, type MemoryServices } from '../support/memory-stores';
import { ACCOUNT, interleave } from '../support/domain-helpers';

const GLACIER_ID =
  'NkbByEejwEggmBz2fTHgJrg0XBoDfjP4q6iu87-TjhqG6eGoOY9Z8i1_AUyUsuhPAdTqLHy8pTl5nfCFJmDl2yEZONi5L26Omw12vcs01MNGntHEQL8MBfGlqrEXAMPLEArchiveId';
const DAY = 24 * 60 * 60 * 1000;

let svc: MemoryServices;
const bytes = Buffer.from('bytes kept in Glacier since 2014');
const archive: ImportedArchive = {
  accountId: ACCOUNT,
  vaultName: 'v',
  archiveId: GLACIER_ID,
  description: 'tax records',
  creationDate: '2014-03-01T10:00:00.000Z',
  size: bytes.length,
  treeHash: treeHash(bytes).toString('hex'),
};

beforeEach(async () => {
  svc = memoryServices();
  await createVault(svc, ACCOUNT, 'v');
  svc.advance(1000);
});

describe('writeImportedArchive', () => {
  it('records the archive under its original ID, with its description, creation date, size and tree hash', async () => {
    expect(GLACIER_ID).toHaveLength(138);
    expect(await writeImportedArchive(svc, archive, Readable.from([bytes]))).toBe('recorded');
    const record = await svc.metadata.getArchive(ACCOUNT, 'v', GLACIER_ID);
    expect(record).toMatchObject({
      archiveId: GLACIER_ID,
      description: 'tax records',
      creationDate: '2014-03-01T10:00:00.000Z',
      size: bytes.length,
      treeHash: archive.treeHash,
    });
    const key = (record?.layout as { blobKey: string }).blobKey;
    expect((await readAll(await svc.blobs.get(key))).equals(bytes)).toBe(true);
    expect(await writeImportedArchive(svc, archive, Readable.from([bytes]))).toBe('already-there');
    expect(svc.blobs.keys()).toEqual([key]);
  });

  it('records nothing for bytes that do not match the tree hash, and the janitor leaves no bytes behind', async () => {
    const other = Buffer.from('bytes kept in Glacier since 2015');
    await expect(writeImportedArchive(svc, archive, Readable.from([other]))).rejects.toThrow(ImportVerificationError);
    await expect(writeImportedArchive(svc, archive, Readable.from([bytes, bytes]))).rejects.toThrow(/IncompleteBody/);
    expect(await svc.metadata.getArchive(ACCOUNT, 'v', GLACIER_ID)).toBeUndefined();
    svc.advance(UNRECORDED_BLOB_GRACE_MS);
    await runJanitor(svc);
    expect(svc.blobs.keys()).toEqual([]);
  });

  it('bytes left by an attempt that crashed before its record are removed by the janitor once a retry recorded the archive', async () => {
    const stage = svc.blobs.stage.bind(svc.blobs);
    let crashed = false;
    svc.blobs.stage = async (...args: Parameters<typeof stage>) => {
      const staged = await stage(...args);
      return {
        ...staged,
        commit: async () => {
          await staged.commit();
          if (!crashed) {
            crashed = true;
            throw new Error('crash after the bytes');
          }
        },
      };
    };
    await expect(writeImportedArchive(svc, archive, Readable.from([bytes]))).rejects.toThrow('crash after the bytes');
    expect(await writeImportedArchive(svc, archive, Readable.from([bytes]))).toBe('recorded');
    expect(svc.blobs.keys()).toHaveLength(2);
    svc.advance(UNRECORDED_BLOB_GRACE_MS);
    await runJanitor(svc);
    const record = await svc.metadata.getArchive(ACCOUNT, 'v', GLACIER_ID);
    expect(svc.blobs.keys()).toEqual([(record?.layout as { blobKey: string }).blobKey]);
  });
});

describe.each([false, true])('a vault deleted (and made again: %s) while an imported archive is recorded', (recreate) => {
  // As for an upload: between the import's first vault stamp and its record, an inventory finds
  // the vault empty and DeleteVault deletes it. The archive is in no live vault: not "recorded".
  it('fails the import, leaves no live archive, and the janitor removes its bytes', async () => {
    interleave(svc.metadata, 'createArchive', async () => {
      svc.advance(1000);
      await inventoryVault(svc, (await svc.metadata.getVault(ACCOUNT, 'v'))!);
      svc.advance(1000);
      await deleteVault(svc, ACCOUNT, 'v');
      expect(await svc.metadata.getVault(ACCOUNT, 'v')).toBeUndefined();
      if (recreate) await createVault(svc, ACCOUNT, 'v');
    });
    await expect(writeImportedArchive(svc, archive, Readable.from([bytes]))).rejects.toThrow(/deleted during the import/);
    const archives = (await svc.metadata.listArchives(ACCOUNT, 'v')).items;
    expect(archives.filter((record) => !record.deletedDate)).toEqual([]);
    svc.advance(2 * DAY);
    await runJanitor(svc);
    expect(svc.blobs.keys()).toEqual([]);
  });
});

describe('an archive created before its vault (imported)', () => {
  it('is the vault’s: listed by the inventory, deletable, its bytes removed after the grace', async () => {
    await writeImportedArchive(svc, archive, Readable.from([bytes]));
    const summary = await inventoryVault(svc, (await svc.metadata.getVault(ACCOUNT, 'v'))!);
    expect(summary?.numberOfArchives).toBe(1);
    await deleteArchive(svc, ACCOUNT, 'v', GLACIER_ID);
    svc.advance(ARCHIVE_BYTES_GRACE_MS);
    await runJanitor(svc);
    expect(svc.blobs.keys()).toEqual([]);
  });
});

describe('budgetAllows', () => {
  const now = 10 * DAY;
  it('lets retrievals start until the day’s budget is spent, then says when the oldest spending leaves the window', () => {
    expect(budgetAllows([], now, 100, undefined)).toEqual({ ok: true });
    expect(budgetAllows([{ startedMs: now - 1000, bytes: 60 }], now, 40, 100)).toEqual({ ok: true });
    expect(
      budgetAllows(
        [
          { startedMs: now - 5000, bytes: 30 },
          { startedMs: now - 1000, bytes: 60 },
        ],
        now,
        40,
        100,
      ),
    ).toEqual({ ok: false, retryAtMs: now - 5000 + DAY });
    expect(budgetAllows([{ startedMs: now - DAY, bytes: 100 }], now, 100, 100)).toEqual({ ok: true });
  });
  it('starts an archive larger than the budget alone', () => {
    expect(budgetAllows([], now, 1000, 100)).toEqual({ ok: true });
    expect(budgetAllows([{ startedMs: now - 10, bytes: 1 }], now, 1000, 100)).toEqual({ ok: false, retryAtMs: now - 10 + DAY });
  });
});

describe('parseInventory', () => {
  it('takes Glacier’s inventory format and refuses entries that lack what the import keeps', () => {
    const entry = { ArchiveId: GLACIER_ID, CreationDate: archive.creationDate, Size: 3, SHA256TreeHash: archive.treeHash };
    expect(parseInventory(JSON.stringify({ ArchiveList: [entry] })).ArchiveList[0].ArchiveDescription).toBe('');
    expect(() => parseInventory(JSON.stringify({ ArchiveList: [{ ...entry, SHA256TreeHash: 'x' }] }))).toThrow(/entry 0/);
    expect(() => parseInventory('{}')).toThrow(/ArchiveList/);
  });
});

describe('runImport against a source without Expedited capacity', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'import-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('starts the job again later instead of stopping the import (InsufficientCapacityException)', async () => {
    const contents = [Buffer.from('first archive'), Buffer.from('second archive')];
    const ids = ['a'.repeat(138), 'b'.repeat(138)];
    const inventory = join(dir, 'inventory.json');
    writeFileSync(
      inventory,
      JSON.stringify({
        ArchiveList: contents.map((bytes, i) => ({
          ArchiveId: ids[i],
          ArchiveDescription: `archive ${i}`,
          CreationDate: '2015-01-01T00:00:00.000Z',
          Size: bytes.length,
          SHA256TreeHash: treeHash(bytes).toString('hex'),
        })),
      }),
    );
    let refusals = 1;
    const source = {
      options: { vaultName: 'old', accountId: '-' },
      retrievalPolicy: async () => ({ strategy: 'None' }),
      async initiateRetrieval(archiveId: string) {
        if (archiveId === ids[1] && refusals-- > 0) {
          throw Object.assign(new Error('There is insufficient capacity to process this expedited request.'), {
            name: 'InsufficientCapacityException',
          });
        }
        return `job-${archiveId}`;
      },
      jobState: async () => ({ status: 'Succeeded' }),
      async outputRange(jobId: string, start: number, end: number) {
        const bytes = contents[ids.indexOf(jobId.slice(4))].subarray(start, end + 1);
        return { bytes, checksum: treeHash(bytes).toString('hex') };
      },
    } as unknown as GlacierSource;
    const notes: string[] = [];
    const progress = { start: () => undefined, update: () => undefined, stop: () => undefined, note: (line: string) => notes.push(line) };

    const summary = await runImport(
      svc,
      {
        source,
        accountId: ACCOUNT,
        vaultName: 'v',
        statePath: join(dir, 'state.json'),
        inventoryFile: inventory,
        tier: 'Expedited',
        pollMs: 1,
        rangeBytes: 1024 * 1024,
        maxJobs: 64,
      },
      progress,
    );
    expect(summary).toEqual({ archives: 2, imported: 2, alreadyThere: 0, failed: [] });
    expect(notes).toContainEqual(expect.stringMatching(/^The source has no Expedited capacity for now: trying again at /));
    for (const id of ids) expect(await svc.metadata.getArchive(ACCOUNT, 'v', id)).toMatchObject({ archiveId: id });
  });
});
