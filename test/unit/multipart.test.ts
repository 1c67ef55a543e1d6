import { ARCHIVE_BYTES_GRACE_MS, deleteArchive } from '../../lambda/domain/archives';
import { treeHash } from '../../lambda/domain/checksums';
import { maxPartSizeFor, parseArchiveSize, parsePartSize } from '../../lambda/ops/multipart-parameters';
import { parseTreeHash } from '../../lambda/ops/operation';
import { inventoryVault } from '../../lambda/domain/inventory';
import {
  abortUpload,
  completeUpload,
  initiateUpload,
  listParts,
  listUploads,
  purgeIdleUploads,
  uploadBlobPrefix,
  uploadPart,
} from '../../lambda/domain/multipart';
import { newArchiveId, newUploadId } from '../../lambda/domain/ids';
import { runJanitor } from '../../lambda/domain/janitor';
import { runDuePurges } from '../../lambda/domain/purges';
import { createVault, deleteVault } from '../../lambda/domain/vaults';
import type { InventoryEntry, InventorySummary, VaultRecord } from '../../lambda/domain/ports';
import { MemoryMetadataStore, MemoryUploadStore, memoryServices, type MemoryServices } from '../support/memory-stores';
import { incoming } from '../support/incoming';
import { ACCOUNT, arn, interleave, upload as uploadSingle } from '../support/domain-helpers';

const MiB = 1024 * 1024;
const HOUR = 60 * 60 * 1000;
const START = Date.parse('2024-06-01T12:00:00.000Z');

let svc: MemoryServices;

beforeEach(async () => {
  svc = memoryServices();
  await createVault(svc, ACCOUNT, 'v');
  svc.advance(1000);
});

const error = (code: string, message: string | RegExp) =>
  expect.objectContaining({ code, message: typeof message === 'string' ? message : expect.stringMatching(message) });
const invalid = (message: string | RegExp) => error('InvalidParameterValueException', message);
const uploadNotFound = (uploadId: string) => error('ResourceNotFoundException', `Multipart upload not found: ${uploadId} in ${arn('v')}`);
const sizeMessage = (n: string) =>
  `Invalid part size: ${n}. Part size must not be null, must be a power of two and be between 1048576 and 4294967296 bytes.`;

/** Bytes that differ from one part to the next, so that a part in the wrong place changes the hash. */
const bytes = (length: number, seed: number) => Buffer.alloc(length, `part ${seed};`);
const hex = (data: Buffer) => treeHash(data).toString('hex');

async function initiate(partSize: string | undefined = String(MiB), description = 'multipart'): Promise<string> {
  return (
    await initiateUpload(svc, { accountId: ACCOUNT, vaultName: 'v', partSize: parsePartSize(partSize, svc.maxBodyBytes), description })
  ).uploadId;
}

function sendPart(uploadId: string, start: number, body: Buffer, options: { range?: string | null; treeHash?: string } = {}) {
  const range = options.range === null ? undefined : (options.range ?? `bytes ${start}-${start + body.length - 1}/*`);
  return uploadPart(svc, {
    accountId: ACCOUNT,
    vaultName: 'v',
    uploadId,
    contentRange: range,
    bytes: incoming(body),
    expectedTreeHash: options.treeHash ?? hex(body),
  });
}

async function complete(uploadId: string, archiveSize: number | string | undefined, expectedTreeHash: string | undefined) {
  return completeUpload(svc, {
    accountId: ACCOUNT,
    vaultName: 'v',
    uploadId,
    // Read as the operation reads its headers.
    archiveSize: parseArchiveSize(typeof archiveSize === 'number' ? String(archiveSize) : archiveSize),
    expectedTreeHash: parseTreeHash(expectedTreeHash),
  });
}

/** Uploads the parts of `data` (1 MiB each, in the order given) and returns the upload ID. */
async function uploadParts(data: Buffer, order?: number[]): Promise<string> {
  const uploadId = await initiate();
  const count = Math.ceil(data.length / MiB);
  for (const index of order ?? Array.from({ length: count }, (_, i) => i)) {
    await sendPart(uploadId, index * MiB, data.subarray(index * MiB, (index + 1) * MiB));
  }
  return uploadId;
}

const blobsOf = (uploadId: string) => svc.blobs.list(uploadBlobPrefix(ACCOUNT, uploadId));
const partsOf = async (uploadId: string) => (await svc.uploads.listParts(ACCOUNT, 'v', uploadId, 0, 10_000)).items;

async function readArchive(archiveId: string): Promise<Buffer> {
  const archive = await svc.metadata.getArchive(ACCOUNT, 'v', archiveId);
  if (archive?.layout.kind !== 'parts') throw new Error(`${archiveId} is not a multipart archive`);
  const keys: string[] = [];
  for (let chunk = 0; chunk < archive.layout.chunks; chunk += 1)
    keys.push(...((await svc.uploads.getSegments(ACCOUNT, 'v', archiveId, chunk)) ?? []));
  return Buffer.concat(await Promise.all(keys.map((key) => svc.blobs.bytes(key))));
}

/** Does a Complete's steps on the stores by hand up to `stage`, as if its process stopped there; returns the reserved archive ID. */
async function crashedComplete(uploadId: string, data: Buffer, stage: 'reserved' | 'archived'): Promise<string> {
  const archiveId = (await svc.uploads.reserveArchiveId(ACCOUNT, 'v', uploadId, newArchiveId())) as string;
  if (stage === 'reserved') return archiveId;
  const parts = await partsOf(uploadId);
  await svc.uploads.putSegments(
    ACCOUNT,
    'v',
    archiveId,
    0,
    parts.map((part) => part.blobKey),
  );
  await svc.metadata.recordVaultWrite(ACCOUNT, 'v', svc.now().getTime());
  await svc.metadata.createArchive({
    accountId: ACCOUNT,
    vaultName: 'v',
    archiveId,
    description: 'multipart',
    size: data.length,
    treeHash: hex(data),
    creationDate: svc.now().toISOString(),
    layout: { kind: 'parts', uploadId, partSize: MiB, count: parts.length, chunks: 1 },
  });
  await svc.metadata.recordVaultWrite(ACCOUNT, 'v', svc.now().getTime());
  return archiveId;
}

async function takeInventory(): Promise<{ summary: InventorySummary; entries: InventoryEntry[] }> {
  svc.advance(1000);
  const summary = (await inventoryVault(svc, (await svc.metadata.getVault(ACCOUNT, 'v')) as VaultRecord)) as InventorySummary;
  const entries: InventoryEntry[] = [];
  for (let chunk = 0; chunk < summary.chunks; chunk += 1)
    entries.push(...((await svc.metadata.getInventoryChunk(ACCOUNT, 'v', summary.id, chunk)) ?? []));
  return { summary, entries };
}

describe('initiateUpload', () => {
  it('creates an open upload with the part size and description', async () => {
    const initiated = await initiateUpload(svc, {
      accountId: ACCOUNT,
      vaultName: 'v',
      partSize: parsePartSize('2097152', svc.maxBodyBytes),
      description: 'my backup',
    });
    const { uploadId } = initiated;
    expect(initiated).toEqual({ uploadId: expect.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_-]{91}$/) });
    expect(await svc.uploads.getUpload(ACCOUNT, 'v', uploadId)).toEqual({
      accountId: ACCOUNT,
      vaultName: 'v',
      uploadId,
      description: 'my backup',
      partSize: 2 * MiB,
      creationDate: '2024-06-01T12:00:01.000Z',
      lastActivityMs: START + 1000,
    });
  });

  it.each(Array.from({ length: 13 }, (_, i) => 2 ** (20 + i)))(
    'accepts a part size of %i bytes when the endpoint takes it',
    async (size) => {
      svc = memoryServices(new MemoryMetadataStore(), START, { maxBodyBytes: 5 * 1024 * MiB });
      await createVault(svc, ACCOUNT, 'v');
      const uploadId = await initiate(String(size));
      expect((await svc.uploads.getUpload(ACCOUNT, 'v', uploadId))?.partSize).toBe(size);
    },
  );

  it.each([
    ['3 MiB', '3145728', '3145728'],
    ['0', '0', '0'],
    ['a word', 'abc', 'abc'],
    ['half a MiB', '524288', '524288'],
    ['8 GiB', '8589934592', '8589934592'],
    ['a fraction', '1048576.0', '1048576.0'],
    ['a negative number', '-1048576', '-1048576'],
    ['no value', undefined, 'null'],
  ])('refuses a part size of %s', async (_what, partSize, shown) => {
    const attempt = async () =>
      initiateUpload(svc, { accountId: ACCOUNT, vaultName: 'v', partSize: parsePartSize(partSize, svc.maxBodyBytes), description: '' });
    await expect(attempt()).rejects.toEqual(invalid(sizeMessage(shown)));
    expect((await svc.uploads.listUploads(ACCOUNT, 'v', undefined, 10)).items).toEqual([]);
  });

  it('refuses a part size larger than the endpoint takes in one request, naming the maximum', async () => {
    expect(svc.maxBodyBytes).toBeGreaterThan(4 * MiB);
    expect(svc.maxBodyBytes).toBeLessThan(8 * MiB);
    await expect(initiate(String(4 * MiB))).resolves.toBeDefined();
    await expect(initiate(String(8 * MiB))).rejects.toEqual(
      invalid(
        `Invalid part size: 8388608. This endpoint accepts request bodies of at most ${svc.maxBodyBytes} bytes, so its largest part size is 4194304 bytes.`,
      ),
    );

    svc = memoryServices(new MemoryMetadataStore(), START, { maxBodyBytes: 2 * MiB - 1 });
    await createVault(svc, ACCOUNT, 'v');
    await expect(initiate(String(2 * MiB))).rejects.toEqual(invalid(/at most 2097151 bytes, so its largest part size is 1048576 bytes\.$/));
  });

  it('refuses every part size when the endpoint takes less than 1 MiB in a request', async () => {
    expect(maxPartSizeFor(MiB)).toBe(MiB);
    expect(maxPartSizeFor(MiB - 1)).toBe(0);
    svc = memoryServices(new MemoryMetadataStore(), START, { maxBodyBytes: MiB - 1 });
    await createVault(svc, ACCOUNT, 'v');
    await expect(initiate(String(MiB))).rejects.toEqual(
      invalid('This endpoint accepts request bodies of at most 1048575 bytes, too few for any part: it accepts no multipart uploads.'),
    );
    expect((await svc.uploads.listUploads(ACCOUNT, 'v', undefined, 10)).items).toEqual([]);
  });

  it('refuses a vault that does not exist', async () => {
    await expect(initiateUpload(svc, { accountId: ACCOUNT, vaultName: 'ghost', partSize: MiB, description: '' })).rejects.toEqual(
      error('ResourceNotFoundException', `Vault not found for ARN: ${arn('ghost')}`),
    );
  });

  it('refuses a description with a character outside printable ASCII', async () => {
    await expect(initiate(String(MiB), 'tab\there')).rejects.toEqual(invalid(/U\+0009 at position 3/));
  });
});

describe('uploadPart', () => {
  it('stores the part under the upload, records it, and marks activity', async () => {
    const uploadId = await initiate();
    svc.advance(5000);
    const body = bytes(MiB, 0);
    expect(await sendPart(uploadId, 0, body)).toEqual({ treeHash: hex(body) });
    const [record] = await partsOf(uploadId);
    expect(record).toEqual({
      index: 0,
      size: MiB,
      treeHash: hex(body),
      blobKey: expect.stringMatching(new RegExp(`^${ACCOUNT}/uploads/${uploadId}/0-`)),
    });
    expect(await blobsOf(uploadId)).toEqual([record.blobKey]);
    expect(svc.blobs.bytes(record.blobKey).equals(body)).toBe(true);
    expect((await svc.uploads.getUpload(ACCOUNT, 'v', uploadId))?.lastActivityMs).toBe(START + 6000);
  });

  it('accepts a tree hash in upper case', async () => {
    const uploadId = await initiate();
    const body = bytes(10, 1);
    await expect(sendPart(uploadId, 0, body, { treeHash: hex(body).toUpperCase() })).resolves.toEqual({ treeHash: hex(body) });
  });

  it.each([
    ['no range', 'bytes 0-1048575'],
    ['an equals sign', 'bytes=0-1048575/*'],
    ['a total size', 'bytes 0-1048575/2097152'],
    ['the end before the start', 'bytes 5-3/*'],
    ['no unit', '0-1048575/*'],
  ])('refuses a Content-Range with %s', async (_what, range) => {
    const uploadId = await initiate();
    await expect(sendPart(uploadId, 0, bytes(MiB, 0), { range })).rejects.toEqual(
      invalid(`Invalid Content-Range: ${range}. It must be of the form 'bytes <first>-<last>/*'.`),
    );
    expect(await partsOf(uploadId)).toEqual([]);
    expect(await blobsOf(uploadId)).toEqual([]);
  });

  it("refuses a Content-Range whose length is not the body's", async () => {
    const uploadId = await initiate();
    await expect(sendPart(uploadId, 0, bytes(10, 0), { range: 'bytes 0-1048575/*' })).rejects.toEqual(
      invalid('Content-Range: bytes 0-1048575/* is incompatible with Content-Length: 10'),
    );
    expect(await partsOf(uploadId)).toEqual([]);
  });

  it.each([
    ['starts inside a part', 1, MiB],
    ['starts at half a part', MiB / 2, MiB / 2],
    ['is longer than the part size', 0, 2 * MiB],
    ['is longer than the part size at a later part', 3 * MiB, MiB + 1],
  ])('refuses a range that %s', async (_what, start, length) => {
    const uploadId = await initiate();
    const range = `bytes ${start}-${start + length - 1}/*`;
    await expect(sendPart(uploadId, start, bytes(length, 0))).rejects.toEqual(
      invalid(
        `Invalid Content-Range: ${range}. A part must start at a multiple of the part size (1048576 bytes) and be at most that long.`,
      ),
    );
    expect(await partsOf(uploadId)).toEqual([]);
    expect(await blobsOf(uploadId)).toEqual([]);
  });

  it('takes the 10,000th part and refuses the 10,001st', async () => {
    const uploadId = await initiate();
    const body = bytes(1, 0);
    await expect(sendPart(uploadId, 9999 * MiB, body)).resolves.toEqual({ treeHash: hex(body) });
    await expect(sendPart(uploadId, 10_000 * MiB, body)).rejects.toEqual(
      invalid('This is part number 10001 for the current multipart upload. It exceeds the limit of 10000 parts.'),
    );
    expect((await partsOf(uploadId)).map((part) => part.index)).toEqual([9999]);
  });

  it('requires a Content-Range', async () => {
    const uploadId = await initiate();
    await expect(sendPart(uploadId, 0, bytes(10, 0), { range: null })).rejects.toEqual(
      error('MissingParameterValueException', 'Required parameter missing: Content-Range'),
    );
  });

  it('refuses a tree hash that does not match, storing nothing in the upload', async () => {
    const uploadId = await initiate();
    svc.advance(5000);
    const body = bytes(MiB, 0);
    const wrong = 'ab'.repeat(32);
    await expect(sendPart(uploadId, 0, body, { treeHash: wrong })).rejects.toEqual(
      invalid(`Checksum mismatch: expected ${wrong}, computed ${hex(body)}`),
    );
    expect(await partsOf(uploadId)).toEqual([]);
    expect(svc.blobs.keys()).toEqual([]);
    expect((await svc.uploads.getUpload(ACCOUNT, 'v', uploadId))?.lastActivityMs).toBe(START + 1000);
  });

  it('replaces a range sent again, and the archive has the bytes sent last', async () => {
    const first = bytes(MiB, 1);
    const second = bytes(MiB, 2);
    const tail = bytes(100, 3);
    const uploadId = await initiate();
    await sendPart(uploadId, 0, first);
    await sendPart(uploadId, MiB, tail);
    await sendPart(uploadId, 0, second);

    const parts = await partsOf(uploadId);
    expect(parts.map((part) => [part.index, part.treeHash])).toEqual([
      [0, hex(second)],
      [1, hex(tail)],
    ]);
    const data = Buffer.concat([second, tail]);
    const { archiveId } = await complete(uploadId, data.length, hex(data));
    expect((await readArchive(archiveId)).equals(data)).toBe(true);
  });

  it('answers ResourceNotFoundException for an upload that does not exist', async () => {
    const uploadId = newUploadId();
    await expect(sendPart(uploadId, 0, bytes(10, 0))).rejects.toEqual(uploadNotFound(uploadId));
    expect(svc.blobs.keys()).toEqual([]);
  });
});

describe('completeUpload', () => {
  it("assembles the archive from parts sent in any order, without the parts' bytes being read", async () => {
    const data = Buffer.concat([bytes(MiB, 0), bytes(MiB, 1), bytes(12345, 2)]);
    const uploadId = await uploadParts(data, [2, 0, 1]);
    svc.advance(5000);

    const result = await complete(uploadId, data.length, hex(data));
    expect(result).toEqual({
      archiveId: expect.any(String),
      treeHash: hex(data),
    });
    expect(await svc.metadata.getArchive(ACCOUNT, 'v', result.archiveId)).toEqual({
      accountId: ACCOUNT,
      vaultName: 'v',
      archiveId: result.archiveId,
      description: 'multipart',
      size: data.length,
      treeHash: hex(data),
      creationDate: '2024-06-01T12:00:06.000Z',
      layout: { kind: 'parts', uploadId, partSize: MiB, count: 3, chunks: 1 },
    });
    expect((await readArchive(result.archiveId)).equals(data)).toBe(true);
    expect((await svc.metadata.getVault(ACCOUNT, 'v'))?.lastWriteMs).toBe(START + 6000);
    expect((await svc.uploads.getUpload(ACCOUNT, 'v', uploadId))?.completed).toEqual({
      archiveId: result.archiveId,
      size: data.length,
      treeHash: hex(data),
      date: '2024-06-01T12:00:06.000Z',
    });
    expect((await listUploads(svc, ACCOUNT, 'v', undefined, 10)).uploads).toEqual([]);
    await expect(sendPart(uploadId, 0, bytes(MiB, 0))).rejects.toEqual(uploadNotFound(uploadId));
  });

  it('completes an archive of one short part', async () => {
    const data = bytes(1, 0);
    const uploadId = await uploadParts(data);
    const { archiveId } = await complete(uploadId, 1, hex(data));
    expect((await svc.metadata.getArchive(ACCOUNT, 'v', archiveId))?.layout).toEqual({
      kind: 'parts',
      uploadId,
      partSize: MiB,
      count: 1,
      chunks: 1,
    });
  });

  it.each([
    ['the first range', [1, 2], 'bytes 0-1048575'],
    ['a middle range', [0, 2], 'bytes 1048576-2097151'],
    ['two ranges in a row', [0, 3], 'bytes 1048576-3145727'],
  ])('refuses an upload missing %s', async (_what, indexes, missing) => {
    const data = Buffer.concat(indexes.map((index) => bytes(MiB, index)));
    const uploadId = await initiate();
    for (const [i, index] of indexes.entries()) await sendPart(uploadId, index * MiB, data.subarray(i * MiB, (i + 1) * MiB));
    await expect(complete(uploadId, data.length, hex(data))).rejects.toEqual(invalid(`Multipart upload is missing the range ${missing}.`));
    expect(await svc.metadata.listArchives(ACCOUNT, 'v')).toEqual({ items: [] });
  });

  it('refuses an upload with no parts', async () => {
    const uploadId = await initiate();
    await expect(complete(uploadId, 0, hex(Buffer.alloc(0)))).rejects.toEqual(invalid(`Multipart upload ${uploadId} has no parts.`));
  });

  it('refuses a short part that is not the last', async () => {
    const uploadId = await initiate();
    const short = bytes(10, 0);
    const full = bytes(MiB, 1);
    await sendPart(uploadId, 0, short);
    await sendPart(uploadId, MiB, full);
    const data = Buffer.concat([short, full]);
    await expect(complete(uploadId, data.length, hex(data))).rejects.toEqual(
      invalid('Part bytes 0-9 is shorter than the part size 1048576; only the last part may be.'),
    );
  });

  it('refuses an archive size that is not the sum of the parts, then completes with the right one', async () => {
    const data = Buffer.concat([bytes(MiB, 0), bytes(10, 1)]);
    const uploadId = await uploadParts(data);
    await expect(complete(uploadId, data.length + 1, hex(data))).rejects.toEqual(
      invalid(`Invalid archive size: ${data.length + 1}. The uploaded parts add up to ${data.length} bytes.`),
    );
    await expect(complete(uploadId, MiB, hex(data))).rejects.toEqual(
      invalid(`Invalid archive size: ${MiB}. The uploaded parts add up to ${data.length} bytes.`),
    );
    expect(await svc.metadata.listArchives(ACCOUNT, 'v')).toEqual({ items: [] });
    const { archiveId } = await complete(uploadId, data.length, hex(data));
    expect((await readArchive(archiveId)).equals(data)).toBe(true);
  });

  it('refuses a tree hash that is not the one of the parts combined', async () => {
    const data = Buffer.concat([bytes(MiB, 0), bytes(MiB, 1), bytes(MiB, 2)]);
    const uploadId = await uploadParts(data);
    // The hash of the same parts in another order.
    const swapped = Buffer.concat([data.subarray(MiB, 2 * MiB), data.subarray(0, MiB), data.subarray(2 * MiB)]);
    await expect(complete(uploadId, data.length, hex(swapped))).rejects.toEqual(
      invalid(`Checksum mismatch: expected ${hex(swapped)}, computed ${hex(data)}`),
    );
    expect(await svc.metadata.listArchives(ACCOUNT, 'v')).toEqual({ items: [] });
    expect((await svc.uploads.getUpload(ACCOUNT, 'v', uploadId))?.reservedArchiveId).toBeUndefined();
  });

  it.each([
    [
      'no archive size',
      undefined,
      'ab'.repeat(32),
      error('MissingParameterValueException', 'Required parameter missing: x-amz-archive-size'),
    ],
    ['an archive size that is not a number', 'ten', 'ab'.repeat(32), invalid('Invalid x-amz-archive-size: ten')],
    ['no tree hash', '10', undefined, error('MissingParameterValueException', 'Required parameter missing: x-amz-sha256-tree-hash')],
    ['a tree hash that is not SHA-256 hex', '10', 'xyz', invalid('Invalid x-amz-sha256-tree-hash: xyz')],
  ])('refuses %s', async (_what, size, hash, expected) => {
    const uploadId = await uploadParts(bytes(10, 0));
    await expect(complete(uploadId, size, hash)).rejects.toEqual(expected);
  });

  it('gives the same archive when completed twice, and checks the second request too', async () => {
    const data = Buffer.concat([bytes(MiB, 0), bytes(7, 1)]);
    const uploadId = await uploadParts(data);
    const first = await complete(uploadId, data.length, hex(data));
    svc.advance(5000);
    expect(await complete(uploadId, data.length, hex(data).toUpperCase())).toEqual(first);
    expect((await svc.metadata.listArchives(ACCOUNT, 'v')).items.map((archive) => archive.archiveId)).toEqual([first.archiveId]);
    await expect(complete(uploadId, data.length + 1, hex(data))).rejects.toEqual(invalid(/^Invalid archive size/));
    await expect(complete(uploadId, data.length, 'ab'.repeat(32))).rejects.toEqual(invalid(/^Checksum mismatch/));
  });

  it('reuses the archive ID a crashed Complete reserved', async () => {
    const data = bytes(MiB + 5, 0);
    const uploadId = await uploadParts(data);
    const reserved = newArchiveId();
    // As if a Complete had reserved this ID and stopped before writing the archive.
    await svc.uploads.reserveArchiveId(ACCOUNT, 'v', uploadId, reserved);
    const { archiveId } = await complete(uploadId, data.length, hex(data));
    expect(archiveId).toBe(reserved);
    expect((await svc.metadata.listArchives(ACCOUNT, 'v')).items.map((archive) => archive.archiveId)).toEqual([reserved]);
    expect((await readArchive(reserved)).equals(data)).toBe(true);
  });

  it('answers ResourceNotFoundException for an upload that does not exist', async () => {
    const uploadId = newUploadId();
    await expect(complete(uploadId, 10, 'ab'.repeat(32))).rejects.toEqual(uploadNotFound(uploadId));
  });
});

describe('abortUpload', () => {
  it('removes the bytes at once and the records once idle for a day; the upload is not found, but an Abort sent again succeeds till then', async () => {
    const kept = await uploadParts(bytes(MiB, 9));
    const uploadId = await uploadParts(Buffer.concat([bytes(MiB, 0), bytes(MiB, 1)]));
    await sendPart(uploadId, 0, bytes(MiB, 2));
    expect(await blobsOf(uploadId)).toHaveLength(3);

    await abortUpload(svc, ACCOUNT, 'v', uploadId);
    expect(await svc.uploads.getUpload(ACCOUNT, 'v', uploadId)).toEqual(expect.objectContaining({ aborted: true }));
    expect(await blobsOf(uploadId)).toEqual([]);

    await expect(sendPart(uploadId, 0, bytes(MiB, 0))).rejects.toEqual(uploadNotFound(uploadId));
    await expect(complete(uploadId, MiB, hex(bytes(MiB, 0)))).rejects.toEqual(uploadNotFound(uploadId));
    await expect(listParts(svc, ACCOUNT, 'v', uploadId, undefined, 10)).rejects.toEqual(uploadNotFound(uploadId));
    await expect(abortUpload(svc, ACCOUNT, 'v', uploadId)).resolves.toBeUndefined();
    expect(await blobsOf(uploadId)).toEqual([]);

    expect(await blobsOf(kept)).toHaveLength(1);
    expect(await partsOf(kept)).toHaveLength(1);

    svc.advance(25 * HOUR);
    await purgeIdleUploads(svc);
    expect(await svc.uploads.getUpload(ACCOUNT, 'v', uploadId)).toBeUndefined();
    expect(await partsOf(uploadId)).toEqual([]);
    await expect(abortUpload(svc, ACCOUNT, 'v', uploadId)).rejects.toEqual(uploadNotFound(uploadId));
  });

  it('finishes an abort that stopped after marking the upload', async () => {
    const uploadId = await uploadParts(bytes(MiB, 0));
    expect(await svc.uploads.markAborted(ACCOUNT, 'v', uploadId)).toBe('aborted');
    await expect(sendPart(uploadId, 0, bytes(MiB, 1))).rejects.toEqual(uploadNotFound(uploadId));
    await abortUpload(svc, ACCOUNT, 'v', uploadId);
    expect(await blobsOf(uploadId)).toEqual([]);
    svc.advance(25 * HOUR);
    expect(await purgeIdleUploads(svc)).toBe(1);
    expect(await svc.uploads.getUpload(ACCOUNT, 'v', uploadId)).toBeUndefined();
  });

  it('refuses to abort a completed upload, and its archive keeps its bytes', async () => {
    const data = bytes(MiB + 1, 0);
    const uploadId = await uploadParts(data);
    const { archiveId } = await complete(uploadId, data.length, hex(data));
    await expect(abortUpload(svc, ACCOUNT, 'v', uploadId)).rejects.toEqual(uploadNotFound(uploadId));
    expect((await readArchive(archiveId)).equals(data)).toBe(true);
  });
});

describe('listUploads and listParts', () => {
  it('lists the open uploads of a vault in pages', async () => {
    const ids = [await initiate(), await initiate(), await initiate()].sort();
    const done = await uploadParts(bytes(3, 0));
    await complete(done, 3, hex(bytes(3, 0)));

    const first = await listUploads(svc, ACCOUNT, 'v', undefined, 2);
    expect(first.uploads.map((item) => item.uploadId)).toEqual(ids.slice(0, 2));
    expect(first.marker).toBe(ids[1]);
    const rest = await listUploads(svc, ACCOUNT, 'v', first.marker, 2);
    expect(rest).toEqual({
      uploads: [expect.objectContaining({ uploadId: ids[2], partSize: MiB, description: 'multipart' })],
      marker: undefined,
    });
    await expect(listUploads(svc, ACCOUNT, 'ghost', undefined, 2)).rejects.toEqual(error('ResourceNotFoundException', /^Vault not found/));
  });

  it('lists the parts of an open upload in pages, with a marker only while more exist', async () => {
    const uploadId = await uploadParts(Buffer.concat([bytes(MiB, 0), bytes(MiB, 1), bytes(MiB, 2)]));
    const first = await listParts(svc, ACCOUNT, 'v', uploadId, undefined, 2);
    expect(first.parts.map((part) => part.index)).toEqual([0, 1]);
    expect(first.marker).toBe('2');
    expect(first.upload.uploadId).toBe(uploadId);
    const rest = await listParts(svc, ACCOUNT, 'v', uploadId, first.marker, 2);
    expect(rest.parts.map((part) => part.index)).toEqual([2]);
    expect(rest.marker).toBeUndefined();
    await expect(listParts(svc, ACCOUNT, 'v', uploadId, 'two', 2)).rejects.toEqual(
      invalid('Invalid marker: two. Pass the Marker a previous ListParts returned.'),
    );
  });
});

describe('deleting a multipart archive', () => {
  it('leaves the blobs of its parts to the janitor, which removes them and the segment list 24 h + 1 min later', async () => {
    const data = Buffer.concat([bytes(MiB, 0), bytes(MiB, 1), bytes(3, 2)]);
    const uploadId = await uploadParts(data);
    const { archiveId } = await complete(uploadId, data.length, hex(data));
    const other = await uploadSingle(svc, 'v', 'another archive');
    expect(await blobsOf(uploadId)).toHaveLength(3);

    await deleteArchive(svc, ACCOUNT, 'v', archiveId);
    expect((await svc.metadata.getArchive(ACCOUNT, 'v', archiveId))?.deletedDate).toBeDefined();
    expect(await blobsOf(uploadId)).toHaveLength(3);
    svc.advance(ARCHIVE_BYTES_GRACE_MS - 1);
    // The upload, idle for a day, goes; its blobs stay, as the deleted archive's. (The purge is the other archive's check for unrecorded bytes.)
    expect(await runJanitor(svc)).toEqual({ uploads: 1, purges: 1 });
    expect((await readArchive(archiveId)).equals(data)).toBe(true);

    svc.advance(1);
    expect(await runJanitor(svc)).toEqual({ uploads: 0, purges: 1 });
    expect(await blobsOf(uploadId)).toEqual([]);
    expect(svc.blobs.keys()).toEqual([`${ACCOUNT}/archives/${other.archiveId}`]);
    expect(await svc.uploads.getSegments(ACCOUNT, 'v', archiveId, 0)).toBeUndefined();
    expect(svc.uploads.segmentChunkCount()).toBe(0);
  });
});

describe('purgeIdleUploads', () => {
  it('removes an upload idle for more than 24 hours with its bytes, and keeps a recent one', async () => {
    const idle = await uploadParts(Buffer.concat([bytes(MiB, 0), bytes(MiB, 1)]));
    const recent = await uploadParts(bytes(MiB, 2));
    svc.advance(2 * HOUR);
    await sendPart(recent, MiB, bytes(10, 3));

    svc.advance(22 * HOUR);
    // Idle exactly 24 hours: not yet.
    expect(await purgeIdleUploads(svc)).toBe(0);
    expect(await svc.uploads.getUpload(ACCOUNT, 'v', idle)).toBeDefined();

    svc.advance(1);
    expect(await purgeIdleUploads(svc)).toBe(1);
    expect(await svc.uploads.getUpload(ACCOUNT, 'v', idle)).toBeUndefined();
    expect(await partsOf(idle)).toEqual([]);
    expect(await blobsOf(idle)).toEqual([]);
    await expect(sendPart(idle, 0, bytes(MiB, 0))).rejects.toEqual(uploadNotFound(idle));

    expect((await partsOf(recent)).map((part) => part.index)).toEqual([0, 1]);
    expect(await blobsOf(recent)).toHaveLength(2);
    expect((await listUploads(svc, ACCOUNT, 'v', undefined, 10)).uploads.map((item) => item.uploadId)).toEqual([recent]);
  });

  it("for a completed upload, keeps the blobs its archive uses and removes a replaced part's blob", async () => {
    const stale = bytes(MiB, 7);
    const data = Buffer.concat([bytes(MiB, 0), bytes(100, 1)]);
    const uploadId = await initiate();
    await sendPart(uploadId, 0, stale);
    const staleKey = (await partsOf(uploadId))[0].blobKey;
    await sendPart(uploadId, 0, data.subarray(0, MiB));
    await sendPart(uploadId, MiB, data.subarray(MiB));
    const { archiveId } = await complete(uploadId, data.length, hex(data));
    const used = (await partsOf(uploadId)).map((part) => part.blobKey);
    expect(await blobsOf(uploadId)).toEqual([...used, staleKey].sort());

    svc.advance(25 * HOUR);
    expect(await purgeIdleUploads(svc)).toBe(1);
    expect(await svc.uploads.getUpload(ACCOUNT, 'v', uploadId)).toBeUndefined();
    expect(await blobsOf(uploadId)).toEqual([...used].sort());
    expect((await readArchive(archiveId)).equals(data)).toBe(true);

    // Deleting the archive afterwards still finds its bytes through the segment list.
    await deleteArchive(svc, ACCOUNT, 'v', archiveId);
    svc.advance(ARCHIVE_BYTES_GRACE_MS);
    expect(await runJanitor(svc)).toEqual({ uploads: 0, purges: 1 });
    expect(svc.blobs.keys()).toEqual([]);
  });

  it('removes every byte of a completed upload whose archive was deleted: the stale part with the upload, the rest with the archive', async () => {
    const data = bytes(MiB + 1, 0);
    const uploadId = await uploadParts(data);
    await sendPart(uploadId, 0, data.subarray(0, MiB));
    const used = (await partsOf(uploadId)).map((part) => part.blobKey);
    const { archiveId } = await complete(uploadId, data.length, hex(data));
    await deleteArchive(svc, ACCOUNT, 'v', archiveId);
    expect(await blobsOf(uploadId)).toHaveLength(3);
    svc.advance(25 * HOUR);
    expect(await purgeIdleUploads(svc)).toBe(1);
    expect(await blobsOf(uploadId)).toEqual([...used].sort());
    expect(await runJanitor(svc)).toEqual({ uploads: 0, purges: 1 });
    expect(svc.blobs.keys()).toEqual([]);
  });

  it('purges idle uploads of every vault and account, across several pages', async () => {
    svc = memoryServices(new MemoryMetadataStore(), START, { uploads: new MemoryUploadStore({ idlePageSize: 4 }) });
    await createVault(svc, ACCOUNT, 'v');
    await createVault(svc, ACCOUNT, 'w');
    await createVault(svc, '999988887777', 'v');
    const created: { accountId: string; vaultName: string; uploadId: string }[] = [];
    for (let i = 0; i < 7; i += 1) {
      for (const [accountId, vaultName] of [
        [ACCOUNT, 'v'],
        [ACCOUNT, 'w'],
        ['999988887777', 'v'],
      ]) {
        const { uploadId } = await initiateUpload(svc, { accountId, vaultName, partSize: MiB, description: '' });
        created.push({ accountId, vaultName, uploadId });
      }
    }
    svc.advance(25 * HOUR);
    expect(await purgeIdleUploads(svc)).toBe(21);
    for (const { accountId, vaultName, uploadId } of created)
      expect(await svc.uploads.getUpload(accountId, vaultName, uploadId)).toBeUndefined();
  });
});

describe('inventory', () => {
  it('counts a multipart archive with its full size', async () => {
    const data = Buffer.concat([bytes(MiB, 0), bytes(MiB, 1), bytes(MiB / 2, 2)]);
    const uploadId = await uploadParts(data);
    const multipart = await complete(uploadId, data.length, hex(data));
    const single = await uploadSingle(svc, 'v', 'small');
    svc.advance(1000);

    const summary = (await inventoryVault(svc, (await svc.metadata.getVault(ACCOUNT, 'v')) as VaultRecord)) as InventorySummary;
    expect(summary).toMatchObject({ numberOfArchives: 2, sizeInBytes: data.length + 5 });
    const entries = (await svc.metadata.getInventoryChunk(ACCOUNT, 'v', summary.id, 0)) ?? [];
    expect(entries.find((entry) => entry.ArchiveId === multipart.archiveId)).toEqual({
      ArchiveId: multipart.archiveId,
      ArchiveDescription: 'multipart',
      CreationDate: '2024-06-01T12:00:01.000Z',
      Size: data.length,
      SHA256TreeHash: hex(data),
    });
    expect(entries.map((entry) => entry.ArchiveId).sort()).toEqual([multipart.archiveId, single.archiveId].sort());
  });
});

describe('a Complete that crashed', () => {
  it('after writing the archive: Abort is refused and deletes nothing, and the janitor finishes it', async () => {
    const data = Buffer.concat([bytes(MiB, 0), bytes(MiB, 1), bytes(999, 2)]);
    const uploadId = await uploadParts(data);
    // Part 1 sent twice more: two blobs no archive will point at.
    await sendPart(uploadId, MiB, bytes(MiB, 9));
    await sendPart(uploadId, MiB, data.subarray(MiB, 2 * MiB));
    const used = (await partsOf(uploadId)).map((part) => part.blobKey);
    const all = await blobsOf(uploadId);
    expect(all).toHaveLength(5);
    const archiveId = await crashedComplete(uploadId, data, 'archived');

    await expect(abortUpload(svc, ACCOUNT, 'v', uploadId)).rejects.toEqual(uploadNotFound(uploadId));
    await expect(sendPart(uploadId, 0, bytes(MiB, 5))).rejects.toEqual(uploadNotFound(uploadId));
    expect(await svc.uploads.getUpload(ACCOUNT, 'v', uploadId)).toEqual(
      expect.objectContaining({ reservedArchiveId: archiveId, lastActivityMs: START + 1000 }),
    );
    expect((await svc.uploads.getUpload(ACCOUNT, 'v', uploadId))?.aborted).toBeUndefined();
    expect(await partsOf(uploadId)).toHaveLength(3);
    expect(await blobsOf(uploadId)).toEqual(all);

    svc.advance(24 * HOUR);
    expect(await purgeIdleUploads(svc)).toBe(0);
    svc.advance(1);
    expect(await purgeIdleUploads(svc)).toBe(1);
    expect(await svc.uploads.getUpload(ACCOUNT, 'v', uploadId)).toBeUndefined();
    expect(await partsOf(uploadId)).toEqual([]);
    // The purge keeps only the blobs of an upload marked completed: these are the archive's.
    expect(await blobsOf(uploadId)).toEqual([...used].sort());
    const archive = await svc.metadata.getArchive(ACCOUNT, 'v', archiveId);
    expect(archive).toEqual(expect.objectContaining({ size: data.length, treeHash: hex(data) }));
    expect(archive?.deletedDate).toBeUndefined();
    const read = await readArchive(archiveId);
    expect(read.equals(data)).toBe(true);
    expect(hex(read)).toBe(hex(data));

    const { summary, entries } = await takeInventory();
    expect(summary).toMatchObject({ numberOfArchives: 1, sizeInBytes: data.length });
    expect(entries).toEqual([expect.objectContaining({ ArchiveId: archiveId, Size: data.length, SHA256TreeHash: hex(data) })]);
  });

  it('right after reserving the archive ID: the janitor makes the archive with that ID', async () => {
    const data = Buffer.concat([bytes(MiB, 0), bytes(4321, 1)]);
    const uploadId = await uploadParts(data);
    const archiveId = await crashedComplete(uploadId, data, 'reserved');
    expect(await svc.metadata.listArchives(ACCOUNT, 'v')).toEqual({ items: [] });

    svc.advance(25 * HOUR);
    // A client retrying Complete while the janitor is between finishing the upload and purging it.
    let retried: Awaited<ReturnType<typeof complete>> | undefined;
    interleave(svc.blobs, 'list', async () => {
      retried = await complete(uploadId, data.length, hex(data));
    });
    expect(await purgeIdleUploads(svc)).toBe(1);
    expect(retried).toEqual({ archiveId, treeHash: hex(data) });

    expect(await svc.metadata.getArchive(ACCOUNT, 'v', archiveId)).toEqual({
      accountId: ACCOUNT,
      vaultName: 'v',
      archiveId,
      description: 'multipart',
      size: data.length,
      treeHash: hex(data),
      creationDate: svc.now().toISOString(),
      layout: { kind: 'parts', uploadId, partSize: MiB, count: 2, chunks: 1 },
    });
    expect((await svc.metadata.getVault(ACCOUNT, 'v'))?.lastWriteMs).toBe(svc.now().getTime());
    expect((await readArchive(archiveId)).equals(data)).toBe(true);
    expect(await svc.uploads.getUpload(ACCOUNT, 'v', uploadId)).toBeUndefined();

    // Once the upload is purged, a retry finds no upload, and makes no other archive.
    await expect(complete(uploadId, data.length, hex(data))).rejects.toEqual(uploadNotFound(uploadId));
    expect((await svc.metadata.listArchives(ACCOUNT, 'v')).items.map((archive) => archive.archiveId)).toEqual([archiveId]);
    expect((await takeInventory()).entries).toEqual([
      expect.objectContaining({ ArchiveId: archiveId, Size: data.length, SHA256TreeHash: hex(data) }),
    ]);
  });

  it.each(['a retried Complete', 'the janitor'])(
    'after writing an archive the client then deleted: %s does not bring it back',
    async (who) => {
      const data = Buffer.concat([bytes(MiB, 0), bytes(10, 1)]);
      const uploadId = await uploadParts(data);
      const archiveId = await crashedComplete(uploadId, data, 'archived');
      svc.advance(1000);
      await deleteArchive(svc, ACCOUNT, 'v', archiveId);
      const deleted = await svc.metadata.getArchive(ACCOUNT, 'v', archiveId);
      expect(deleted?.deletedDate).toBe('2024-06-01T12:00:02.000Z');

      if (who === 'a retried Complete') expect((await complete(uploadId, data.length, hex(data))).archiveId).toBe(archiveId);
      svc.advance(25 * HOUR);
      expect(await purgeIdleUploads(svc)).toBe(1);
      expect(await svc.metadata.getArchive(ACCOUNT, 'v', archiveId)).toEqual(deleted);
      expect(await svc.uploads.getUpload(ACCOUNT, 'v', uploadId)).toBeUndefined();
      // The deleted archive's bytes outlive the upload until their removal is due.
      expect(await blobsOf(uploadId)).toHaveLength(2);
      expect(await runDuePurges(svc)).toBe(1);
      expect(await blobsOf(uploadId)).toEqual([]);
      expect((await takeInventory()).summary).toMatchObject({ numberOfArchives: 0, sizeInBytes: 0 });
    },
  );
});

describe('a part racing another request', () => {
  it('leaves no bytes when its upload is aborted meanwhile, and no part record once the janitor removes the upload', async () => {
    const uploadId = await uploadParts(bytes(MiB, 0));
    // The part found the upload open; the abort runs before its bytes are stored.
    interleave(svc.blobs, 'stage', () => abortUpload(svc, ACCOUNT, 'v', uploadId));
    await expect(sendPart(uploadId, MiB, bytes(MiB, 1))).rejects.toEqual(uploadNotFound(uploadId));
    expect(await blobsOf(uploadId)).toEqual([]);
    expect(svc.blobs.keys()).toEqual([]);
    svc.advance(25 * HOUR);
    expect(await purgeIdleUploads(svc)).toBe(1);
    expect(await svc.uploads.getUpload(ACCOUNT, 'v', uploadId)).toBeUndefined();
    expect(await partsOf(uploadId)).toEqual([]);
    expect(svc.blobs.keys()).toEqual([]);
    expect(svc.uploads.partCount()).toBe(0);
  });

  it('keeps its bytes when a Complete takes it into the archive meanwhile', async () => {
    const data = Buffer.concat([bytes(MiB, 0), bytes(10, 1)]);
    const uploadId = await uploadParts(data.subarray(0, MiB));
    // The part is recorded; the Complete lists it before the part marks the upload's activity.
    let archiveId = '';
    interleave(svc.uploads, 'touchUpload', async () => {
      archiveId = (await complete(uploadId, data.length, hex(data))).archiveId;
    });
    await expect(sendPart(uploadId, MiB, data.subarray(MiB))).rejects.toEqual(uploadNotFound(uploadId));
    expect((await readArchive(archiveId)).equals(data)).toBe(true);
    svc.advance(25 * HOUR);
    expect(await purgeIdleUploads(svc)).toBe(1);
    expect((await readArchive(archiveId)).equals(data)).toBe(true);
  });

  it('keeps the upload open when it arrives after the janitor listed the upload as idle', async () => {
    const data = Buffer.concat([bytes(MiB, 0), bytes(10, 1)]);
    const uploadId = await uploadParts(data.subarray(0, MiB));
    svc.advance(25 * HOUR);
    interleave(svc.uploads, 'markAborted', () => sendPart(uploadId, MiB, data.subarray(MiB)));
    expect(await purgeIdleUploads(svc)).toBe(0);

    const upload = await svc.uploads.getUpload(ACCOUNT, 'v', uploadId);
    expect(upload?.aborted).toBeUndefined();
    expect(upload?.lastActivityMs).toBe(svc.now().getTime());
    expect(await blobsOf(uploadId)).toHaveLength(2);
    expect((await listUploads(svc, ACCOUNT, 'v', undefined, 10)).uploads.map((item) => item.uploadId)).toEqual([uploadId]);
    const { archiveId } = await complete(uploadId, data.length, hex(data));
    expect((await readArchive(archiveId)).equals(data)).toBe(true);
  });
});

describe('an upload of an earlier vault of the same name', () => {
  it('is not found in the vault made since', async () => {
    const uploadId = await uploadParts(bytes(MiB, 0));
    await deleteVault(svc, ACCOUNT, 'v');
    expect(await svc.metadata.getVault(ACCOUNT, 'v')).toBeUndefined();
    svc.advance(1000);
    await createVault(svc, ACCOUNT, 'v');

    await expect(sendPart(uploadId, MiB, bytes(10, 1))).rejects.toEqual(uploadNotFound(uploadId));
    await expect(complete(uploadId, MiB, hex(bytes(MiB, 0)))).rejects.toEqual(uploadNotFound(uploadId));
    await expect(listParts(svc, ACCOUNT, 'v', uploadId, undefined, 10)).rejects.toEqual(uploadNotFound(uploadId));
    expect(await blobsOf(uploadId)).toHaveLength(1);
    expect(await svc.metadata.listArchives(ACCOUNT, 'v')).toEqual({ items: [] });

    // An upload of the new vault works as usual.
    const data = bytes(MiB + 3, 2);
    const { archiveId } = await complete(await uploadParts(data), data.length, hex(data));
    expect((await readArchive(archiveId)).equals(data)).toBe(true);
  });
});
