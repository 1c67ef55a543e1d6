// Job output: tree-hash alignment, the inventory's formats, and an inventory job's output.
import { randomBytes } from 'node:crypto';
import { MiB, combineTreeHashes, sha256, treeHash } from '../../lambda/domain/checksums';
import { inventoryVault } from '../../lambda/domain/inventory';
import { CSV_HEADER, formatInventory } from '../../lambda/domain/inventory-output';
import { runJanitor } from '../../lambda/domain/janitor';
import { JOB_OUTPUT_LIFETIME_MS, getJob, isTreeHashAligned } from '../../lambda/domain/jobs';
import type { InventoryEntry, InventoryRetrieval, VaultRecord } from '../../lambda/domain/ports';
import { MEMORY_JOB_DELAYS_MS } from '../support/memory-stores';
import { ACCOUNT, arn, upload } from '../support/domain-helpers';
import { svc, error, jobNotFound, initiate, retrieve, described, output, uploadMultipart } from '../support/jobs-fixture';

describe('isTreeHashAligned', () => {
  it.each([
    ['the first MiB', 0, MiB - 1, 10 * MiB, true],
    ['any one MiB', 7 * MiB, 8 * MiB - 1, 10 * MiB, true],
    ['2 MiB at an even MiB', 2 * MiB, 4 * MiB - 1, 10 * MiB, true],
    ['2 MiB at an odd MiB', MiB, 3 * MiB - 1, 10 * MiB, false],
    ['4 MiB at 4 MiB', 4 * MiB, 8 * MiB - 1, 16 * MiB, true],
    ['4 MiB at 2 MiB', 2 * MiB, 6 * MiB - 1, 16 * MiB, false],
    ['3 MiB from the start', 0, 3 * MiB - 1, 10 * MiB, false],
    ['8 MiB from the start', 0, 8 * MiB - 1, 10 * MiB, true],
    ['the last 2 MiB of 10', 8 * MiB, 10 * MiB - 1, 10 * MiB, true],
    ['the partial last MiB', 9 * MiB, 9 * MiB + 99, 9 * MiB + 100, true],
    ['a 2 MiB node cut short by the end', 8 * MiB, 9 * MiB + 99, 9 * MiB + 100, true],
    ['a 4 MiB node cut short by the end', 4 * MiB, 6 * MiB + 99, 6 * MiB + 100, true],
    ['a whole archive of 3 MiB', 0, 3 * MiB - 1, 3 * MiB, true],
    ['a whole archive under 1 MiB', 0, 99, 100, true],
    ['a start off a MiB boundary', 100, MiB - 1, 10 * MiB, false],
    ['an end off a MiB boundary', 0, MiB + 99, 10 * MiB, false],
  ])('%s', (_what, start, end, size, aligned) => {
    expect(isTreeHashAligned(start, end, size)).toBe(aligned);
  });

  it('says aligned exactly when the range tree hash is a node of the archive tree, for archives of 1 to 12 MiB', () => {
    for (let count = 1; count <= 12; count += 1) {
      const leaves: Buffer[] = Array.from({ length: count }, () => randomBytes(32));
      // Every node of the tree, level by level, as Glacier folds it.
      const nodes = new Set<string>();
      for (let level: Buffer[] = leaves; ;) {
        for (const node of level) nodes.add(node.toString('hex'));
        if (level.length === 1) break;
        level = Array.from({ length: Math.ceil(level.length / 2) }, (_, i) => combineTreeHashes(level.slice(2 * i, 2 * i + 2)));
      }
      for (const size of [count * MiB, (count - 1) * MiB + 1234]) {
        for (let first = 0; first < count; first += 1) {
          for (let last = first; last < count; last += 1) {
            const end = last === count - 1 ? size - 1 : (last + 1) * MiB - 1;
            const isNode = nodes.has(combineTreeHashes(leaves.slice(first, last + 1)).toString('hex'));
            if (isTreeHashAligned(first * MiB, end, size) !== isNode)
              throw new Error(`size ${size}, leaves ${first}-${last}: expected aligned = ${isNode}`);
          }
        }
      }
    }
  });

  it('gives a job the tree hash of its range only when the range is aligned', async () => {
    const data = randomBytes(6 * MiB + 10);
    const { archiveId } = await uploadMultipart(data);
    const aligned = await retrieve(archiveId, { RetrievalByteRange: `${4 * MiB}-${6 * MiB + 9}`, Tier: 'Expedited' });
    const unaligned = await retrieve(archiveId, { RetrievalByteRange: `${MiB}-${3 * MiB - 1}`, Tier: 'Expedited' });
    svc.advance(MEMORY_JOB_DELAYS_MS.Expedited);
    expect((await described(aligned)).SHA256TreeHash).toBe(treeHash(data.subarray(4 * MiB)).toString('hex'));
    expect((await described(unaligned)).SHA256TreeHash).toBeNull();
  });
});

describe('formatInventory', () => {
  const VAULT_ARN = arn('v');
  const DATE = '2024-06-02T00:00:00.000Z';
  const entry = (id: string, creationDate: string, description = `archive ${id}`): InventoryEntry => ({
    ArchiveId: id,
    ArchiveDescription: description,
    CreationDate: creationDate,
    Size: id.length * 100,
    SHA256TreeHash: sha256(Buffer.from(id)).toString('hex'),
  });
  const entries = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((id, i) => entry(id, `2024-05-0${i + 1}T10:00:00Z`));
  const chunksOf = (list: InventoryEntry[], size: number) =>
    async function* () {
      for (let i = 0; i < list.length; i += size) yield list.slice(i, i + size);
    };
  const format = (retrieval: InventoryRetrieval, list = entries) =>
    formatInventory({ vaultArn: VAULT_ARN, inventoryDate: DATE, retrieval }, chunksOf(list, 3));
  const listed = async (retrieval: InventoryRetrieval) => {
    const out = await format({ ...retrieval, format: 'JSON' });
    return {
      ids: (JSON.parse(out.body.toString()) as { ArchiveList: InventoryEntry[] }).ArchiveList.map((item) => item.ArchiveId),
      nextMarker: out.nextMarker,
    };
  };

  it('writes Glacier JSON', async () => {
    const list = [entry('x', '2024-05-01T10:00:00Z', 'with "quotes", commas and \\ backslash'), entry('y', '2024-05-02T10:00:00Z', '')];
    const out = await format({ format: 'JSON' }, list);
    expect(JSON.parse(out.body.toString())).toEqual({ VaultARN: VAULT_ARN, InventoryDate: DATE, ArchiveList: list });
    expect(out.nextMarker).toBeUndefined();
    expect((await format({ format: 'JSON' }, [])).body.toString()).toBe(
      `{"VaultARN":"${VAULT_ARN}","InventoryDate":"${DATE}","ArchiveList":[]}`,
    );
  });

  it('writes CSV, quoting descriptions with commas or quotes', async () => {
    const list = [
      entry('p', '2024-05-01T10:00:00Z', 'plain words'),
      entry('c', '2024-05-02T10:00:00Z', 'a, b'),
      entry('q', '2024-05-03T10:00:00Z', 'say "hi"'),
      entry('e', '2024-05-04T10:00:00Z', ''),
    ];
    const out = await format({ format: 'CSV' }, list);
    const row = (item: InventoryEntry, description: string) =>
      `${item.ArchiveId},${description},${item.CreationDate},${item.Size},${item.SHA256TreeHash}`;
    expect(out.body.toString()).toBe(
      [CSV_HEADER, row(list[0], 'plain words'), row(list[1], '"a, b"'), row(list[2], '"say ""hi"""'), row(list[3], ''), ''].join('\n'),
    );
    expect(CSV_HEADER).toBe('ArchiveId,ArchiveDescription,CreationDate,Size,SHA256TreeHash');
    expect((await format({ format: 'CSV' }, [])).body.toString()).toBe(`${CSV_HEADER}\n`);
  });

  it('keeps archives created from StartDate (inclusive) to EndDate (exclusive)', async () => {
    expect((await listed({ format: 'JSON', startDate: '2024-05-03T10:00:00Z' })).ids).toEqual(['c', 'd', 'e', 'f', 'g']);
    expect((await listed({ format: 'JSON', endDate: '2024-05-03T10:00:00Z' })).ids).toEqual(['a', 'b']);
    expect((await listed({ format: 'JSON', startDate: '2024-05-02T10:00:00Z', endDate: '2024-05-05T10:00:00Z' })).ids).toEqual([
      'b',
      'c',
      'd',
    ]);
    expect((await listed({ format: 'JSON', startDate: '2024-05-02T10:00:01Z', endDate: '2024-05-05T10:00:01Z' })).ids).toEqual([
      'c',
      'd',
      'e',
    ]);
  });

  it('starts after the Marker, stops at the Limit, and gives the next marker only when more follow', async () => {
    expect(await listed({ format: 'JSON', marker: 'b' })).toEqual({ ids: ['c', 'd', 'e', 'f', 'g'], nextMarker: undefined });
    // Across a chunk boundary.
    expect(await listed({ format: 'JSON', limit: 4 })).toEqual({ ids: ['a', 'b', 'c', 'd'], nextMarker: 'd' });
    expect(await listed({ format: 'JSON', marker: 'd', limit: 3 })).toEqual({ ids: ['e', 'f', 'g'], nextMarker: undefined });
    expect(await listed({ format: 'JSON', limit: 7 })).toEqual({ ids: ['a', 'b', 'c', 'd', 'e', 'f', 'g'], nextMarker: undefined });
    // Only archives that pass the date filter count, and only one that would be listed makes a next marker.
    expect(await listed({ format: 'JSON', endDate: '2024-05-04T10:00:00Z', limit: 3 })).toEqual({
      ids: ['a', 'b', 'c'],
      nextMarker: undefined,
    });
    expect(await listed({ format: 'JSON', startDate: '2024-05-02T10:00:00Z', limit: 2 })).toEqual({ ids: ['b', 'c'], nextMarker: 'c' });

    // Following the markers lists each archive once.
    const seen: string[] = [];
    let marker: string | undefined;
    do {
      const page: { ids: string[]; nextMarker?: string } = await listed({ format: 'JSON', limit: 2, ...(marker && { marker }) });
      seen.push(...page.ids);
      marker = page.nextMarker;
    } while (marker);
    expect(seen).toEqual(entries.map((item) => item.ArchiveId));

    const csv = await format({ format: 'CSV', marker: 'a', limit: 1 });
    expect(csv.body.toString().split('\n')[1]).toMatch(/^b,/);
    expect(csv.nextMarker).toBe('b');
  });
});

describe('inventory output', () => {
  it('is stored in the instant class and removed by the janitor once the job has expired', async () => {
    const { archiveId } = await upload(svc, 'v', 'bytes', 'described, "quoted"');
    svc.advance(1000);
    await inventoryVault(svc, (await svc.metadata.getVault(ACCOUNT, 'v')) as VaultRecord);
    const jobId = await initiate({ Type: 'inventory-retrieval', Format: 'CSV', Tier: 'Bulk' });
    svc.advance(MEMORY_JOB_DELAYS_MS.Bulk);
    const job = await getJob(svc, ACCOUNT, 'v', jobId);
    const completedAt = svc.now().getTime();
    if (job.action !== 'InventoryRetrieval' || !job.outputKey) throw new Error('an inventory retrieval with its output was expected');
    const outputKey = job.outputKey;
    expect(outputKey.startsWith(`${ACCOUNT}/jobs/${jobId}/`)).toBe(true);
    expect(svc.blobs.hotKeys()).toEqual([outputKey]);
    expect(svc.purges.pending().filter(({ task }) => task.kind === 'blob')).toEqual([
      { dueMs: completedAt + JOB_OUTPUT_LIFETIME_MS + 60_000, task: { kind: 'blob', blobKey: outputKey } },
    ]);

    const out = await output(jobId);
    expect(out.contentType).toBe('text/csv');
    expect(out.body.toString()).toMatch(new RegExp(`^${CSV_HEADER}\n${archiveId},"described, ""quoted""",`));
    expect(job.outputSize).toBe(out.body.length);
    expect((await described(jobId)).InventorySizeInBytes).toBe(out.body.length);

    svc.advance(JOB_OUTPUT_LIFETIME_MS + 1);
    await expect(output(jobId)).rejects.toEqual(jobNotFound(jobId));
    // Due now: the upload's check for unrecorded bytes, and the inventory run's removal of its snapshot in case it was never committed (left alone: it is the vault's current one).
    expect((await runJanitor(svc)).purges).toBe(2);
    expect(svc.blobs.keys()).toContain(outputKey);
    svc.advance(60_000 - 1);
    expect((await runJanitor(svc)).purges).toBe(1);
    expect(svc.blobs.keys()).toEqual([`${ACCOUNT}/archives/${archiveId}`]);
  });

  it('carries the next marker into the job description when Limit cuts it short', async () => {
    for (let i = 0; i < 3; i += 1) await upload(svc, 'v', `archive ${i}`);
    svc.advance(1000);
    await inventoryVault(svc, (await svc.metadata.getVault(ACCOUNT, 'v')) as VaultRecord);
    const first = await initiate({ Type: 'inventory-retrieval', InventoryRetrievalParameters: { Limit: '2' } });
    svc.advance(MEMORY_JOB_DELAYS_MS.Standard);
    const listed = (JSON.parse((await output(first)).body.toString()) as { ArchiveList: InventoryEntry[] }).ArchiveList;
    expect(listed).toHaveLength(2);
    expect(await described(first)).toEqual(
      expect.objectContaining({
        InventoryRetrievalParameters: { Format: 'JSON', StartDate: null, EndDate: null, Limit: '2', Marker: listed[1].ArchiveId },
      }),
    );
  });

  it('needs an inventory of the vault', async () => {
    await expect(initiate({ Type: 'inventory-retrieval' })).rejects.toEqual(
      error('ResourceNotFoundException', new RegExp(`^Inventory not found for vault ${arn('v')}`)),
    );
  });
});
