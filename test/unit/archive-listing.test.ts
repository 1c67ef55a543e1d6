import { listLiveArchives } from '../../lambda/domain/archive-listing';
import { createVault } from '../../lambda/domain/vaults';
import type { ArchiveRecord } from '../../lambda/domain/ports';
import { MemoryMetadataStore, memoryServices } from '../support/memory-stores';
import { ACCOUNT } from '../support/domain-helpers';

// Three archives per store page, so that listings cross page boundaries.
const svc = memoryServices(new MemoryMetadataStore({ archivePageSize: 3 }));

function archive(index: number, description: string, creationDate: string): ArchiveRecord {
  return {
    accountId: ACCOUNT,
    vaultName: 'photos',
    // IDs in the reverse order of creation, so that the store's order is not the listing's.
    archiveId: `id-${String(100 - index).padStart(3, '0')}`,
    description,
    size: 1000 + index,
    treeHash: 'ab'.repeat(32),
    creationDate,
    layout: { kind: 'blob', blobKey: `k${index}` },
  };
}

const ids = (archives: ArchiveRecord[]) => archives.map((a) => a.description);

beforeAll(async () => {
  await createVault(svc, ACCOUNT, 'photos');
  const records = [
    archive(1, 'photos/2023', '2024-01-01T00:00:00.000Z'),
    archive(2, 'photos/2024', '2024-02-01T00:00:00.000Z'),
    archive(3, 'docs/tax', '2024-03-01T00:00:00.000Z'),
    archive(4, 'photos/gone', '2024-04-01T00:00:00.000Z'),
    archive(5, 'photos/same-second-a', '2024-05-01T00:00:00.000Z'),
    archive(6, 'photos/same-second-b', '2024-05-01T00:00:00.000Z'),
    archive(7, 'docs/deeds', '2024-06-01T00:00:00.000Z'),
  ];
  for (const record of records) await svc.metadata.createArchive(record);
  await svc.metadata.markArchiveDeleted(ACCOUNT, 'photos', records[3].archiveId, '2024-06-02T00:00:00.000Z');
});

it('lists live archives newest first, with the live totals, leaving deleted ones out', async () => {
  const listing = await listLiveArchives(svc, ACCOUNT, 'photos', { limit: 10 });
  // Same second: by archive ID, descending (index 5 has the larger ID).
  expect(ids(listing.archives)).toEqual([
    'docs/deeds',
    'photos/same-second-a',
    'photos/same-second-b',
    'docs/tax',
    'photos/2024',
    'photos/2023',
  ]);
  expect(listing.live).toEqual({ numberOfArchives: 6, sizeInBytes: 1001 + 1002 + 1003 + 1005 + 1006 + 1007 });
  expect(listing.marker).toBeUndefined();
});

it('pages with a marker, each archive once, and filters by description prefix', async () => {
  const seen: string[] = [];
  let marker: string | undefined;
  do {
    const page = await listLiveArchives(svc, ACCOUNT, 'photos', { limit: 2, marker, descriptionPrefix: 'photos/' });
    expect(page.archives.length).toBeLessThanOrEqual(2);
    expect(page.live.numberOfArchives).toBe(6);
    seen.push(...ids(page.archives));
    marker = page.marker;
  } while (marker !== undefined);
  expect(seen).toEqual(['photos/same-second-a', 'photos/same-second-b', 'photos/2024', 'photos/2023']);
});

it('a page that ends the listing carries no marker', async () => {
  const page = await listLiveArchives(svc, ACCOUNT, 'photos', { limit: 2, descriptionPrefix: 'docs/' });
  expect(ids(page.archives)).toEqual(['docs/deeds', 'docs/tax']);
  expect(page.marker).toBeUndefined();
});

it('refuses a marker it did not make, and a vault that does not exist', async () => {
  await expect(listLiveArchives(svc, ACCOUNT, 'photos', { limit: 2, marker: 'not-a-marker' })).rejects.toMatchObject({
    code: 'InvalidParameterValueException',
  });
  await expect(listLiveArchives(svc, ACCOUNT, 'nope', { limit: 2 })).rejects.toMatchObject({ code: 'ResourceNotFoundException' });
});
