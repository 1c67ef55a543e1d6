import { ARCHIVE_BYTES_GRACE_MS, deleteArchive, uploadArchive } from '../../lambda/domain/archives';
import { treeHash } from '../../lambda/domain/checksums';
import { newArchiveId } from '../../lambda/domain/ids';
import { inventoryVault } from '../../lambda/domain/inventory';
import { runJanitor } from '../../lambda/domain/janitor';
import { createVault, deleteVault } from '../../lambda/domain/vaults';
import type { ArchiveRecord, InventorySummary, VaultRecord } from '../../lambda/domain/ports';
import { memoryServices, type MemoryServices } from '../support/memory-stores';
import { incoming } from '../support/incoming';
import { ACCOUNT, arn, upload } from '../support/domain-helpers';

let svc: MemoryServices;

beforeEach(async () => {
  svc = memoryServices();
  await createVault(svc, ACCOUNT, 'v');
  svc.advance(1000);
});

const error = (code: string, message: string | RegExp) => expect.objectContaining({ code, message: expect.stringMatching(message) });
const invalid = (message: string | RegExp) => error('InvalidParameterValueException', message);

async function expectNothingStored() {
  expect(svc.blobs.keys()).toEqual([]);
  expect((await svc.metadata.listArchives(ACCOUNT, 'v')).items).toEqual([]);
  expect((await svc.metadata.getVault(ACCOUNT, 'v'))?.lastWriteMs).toBeUndefined();
}

describe('uploadArchive', () => {
  it('stores the bytes and the archive record, and stamps the vault', async () => {
    const body = Buffer.from('the archive body');
    const uploaded = await upload(svc, 'v', body, 'my description');
    expect(uploaded).toEqual({ archiveId: expect.any(String), treeHash: treeHash(body).toString('hex') });

    const record = await svc.metadata.getArchive(ACCOUNT, 'v', uploaded.archiveId);
    expect(record).toEqual({
      accountId: ACCOUNT,
      vaultName: 'v',
      archiveId: uploaded.archiveId,
      description: 'my description',
      size: body.length,
      treeHash: uploaded.treeHash,
      creationDate: '2024-06-01T12:00:01.000Z',
      layout: { kind: 'blob', blobKey: `${ACCOUNT}/archives/${uploaded.archiveId}` },
    });
    expect(svc.blobs.keys()).toEqual([`${ACCOUNT}/archives/${uploaded.archiveId}`]);
    expect(svc.blobs.bytes(`${ACCOUNT}/archives/${uploaded.archiveId}`).equals(body)).toBe(true);
    expect((await svc.metadata.getVault(ACCOUNT, 'v'))?.lastWriteMs).toBe(Date.parse('2024-06-01T12:00:01.000Z'));
  });

  it('refuses a tree hash that does not match, storing nothing', async () => {
    const body = Buffer.from('the archive body');
    const wrong = 'ab'.repeat(32);
    const attempt = uploadArchive(svc, {
      accountId: ACCOUNT,
      vaultName: 'v',
      bytes: incoming(body),
      expectedTreeHash: wrong,
      description: '',
    });
    await expect(attempt).rejects.toEqual(invalid(`^Checksum mismatch: expected ${wrong}, computed ${treeHash(body).toString('hex')}$`));
    await expectNothingStored();
  });

  it('accepts a tree hash in upper case', async () => {
    const body = Buffer.from('case');
    const uploaded = await uploadArchive(svc, {
      accountId: ACCOUNT,
      vaultName: 'v',
      bytes: incoming(body),
      expectedTreeHash: treeHash(body).toString('hex').toUpperCase(),
      description: '',
    });
    expect(uploaded.treeHash).toBe(treeHash(body).toString('hex'));
  });

  it('refuses an empty body', async () => {
    await expect(upload(svc, 'v', Buffer.alloc(0))).rejects.toEqual(invalid(/^Invalid Content-Length: 0$/));
    await expectNothingStored();
  });

  it('refuses an upload to a vault that does not exist', async () => {
    await expect(upload(svc, 'ghost', 'bytes')).rejects.toEqual(
      error('ResourceNotFoundException', `^Vault not found for ARN: ${arn('ghost')}$`),
    );
    expect(svc.blobs.keys()).toEqual([]);
  });

  it('accepts a description of 1,024 printable characters', async () => {
    const printable = Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
    const description = printable.repeat(11).slice(0, 1024);
    const { archiveId } = await upload(svc, 'v', 'x', description);
    expect((await svc.metadata.getArchive(ACCOUNT, 'v', archiveId))?.description).toBe(description);
  });

  it.each([
    ['1,025 characters', 'd'.repeat(1025), /it is 1025 characters long; the maximum is 1024/],
    ['a tab', 'a\tb', /U\+0009 at position 1/],
    ['a newline', 'line\n', /U\+000A at position 4/],
    ['DEL', '\x7f', /U\+007F at position 0/],
    ['a non-ASCII letter', 'caf\u00e9', /U\+00E9 at position 3/],
  ])('refuses a description with %s', async (_what, description, message) => {
    await expect(upload(svc, 'v', 'x', description)).rejects.toEqual(invalid(message));
    await expectNothingStored();
  });

  it('gives identical bytes different archive IDs of 138 URL-safe characters', async () => {
    const first = await upload(svc, 'v', 'same bytes');
    const second = await upload(svc, 'v', 'same bytes');
    expect(first.archiveId).not.toBe(second.archiveId);
    for (const id of [first.archiveId, second.archiveId]) expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{137}$/);
    expect(svc.blobs.keys()).toHaveLength(2);
  });

  it('never makes an archive ID that starts with "-"', () => {
    // About one in 64 random candidates starts with '-', so thousands of IDs exercise the guard.
    for (let i = 0; i < 20_000; i += 1) {
      const id = newArchiveId();
      if (id.length !== 138 || id.startsWith('-')) throw new Error(`bad archive ID: ${id}`);
    }
  });
});

describe('deleteArchive', () => {
  it('marks the archive deleted and stamps the vault; the janitor removes its bytes 24 h + 1 min later', async () => {
    const { archiveId } = await upload(svc, 'v', 'bytes');
    const blobKey = `${ACCOUNT}/archives/${archiveId}`;
    svc.advance(5000);
    await deleteArchive(svc, ACCOUNT, 'v', archiveId);
    expect((await svc.metadata.getArchive(ACCOUNT, 'v', archiveId))?.deletedDate).toBe('2024-06-01T12:00:06.000Z');
    expect((await svc.metadata.getVault(ACCOUNT, 'v'))?.lastWriteMs).toBe(Date.parse('2024-06-01T12:00:06.000Z'));
    expect(svc.purges.pending().filter(({ task }) => task.kind !== 'unreferenced-blob')).toEqual([
      { dueMs: Date.parse('2024-06-02T12:01:06.000Z'), task: { kind: 'archive-bytes', accountId: ACCOUNT, vaultName: 'v', archiveId } },
    ]);
    expect(svc.blobs.keys()).toEqual([blobKey]);

    svc.advance(ARCHIVE_BYTES_GRACE_MS - 1);
    // Only the upload's check for unrecorded bytes is due, and the archive was recorded.
    expect(await runJanitor(svc)).toEqual({ uploads: 0, purges: 1 });
    expect(svc.blobs.keys()).toEqual([blobKey]);
    svc.advance(1);
    expect(await runJanitor(svc)).toEqual({ uploads: 0, purges: 1 });
    expect(svc.blobs.keys()).toEqual([]);
    expect(svc.purges.pending()).toEqual([]);
  });

  it('succeeds again for an archive already deleted, without stamping a new write or queueing another removal', async () => {
    const { archiveId } = await upload(svc, 'v', 'bytes');
    await deleteArchive(svc, ACCOUNT, 'v', archiveId);
    const stamped = (await svc.metadata.getVault(ACCOUNT, 'v'))?.lastWriteMs;
    svc.advance(5000);
    await expect(deleteArchive(svc, ACCOUNT, 'v', archiveId)).resolves.toBeUndefined();
    expect((await svc.metadata.getVault(ACCOUNT, 'v'))?.lastWriteMs).toBe(stamped);
    expect(svc.purges.pending().filter(({ task }) => task.kind !== 'unreferenced-blob')).toHaveLength(1);
  });

  it('keeps a live archive whose delete stopped after queueing the removal, and removes its bytes once a retried delete is due', async () => {
    const body = Buffer.from('bytes');
    const { archiveId } = await upload(svc, 'v', body);
    const blobKey = `${ACCOUNT}/archives/${archiveId}`;
    // The first delete queued the removal, then its process stopped before recording the delete.
    await svc.purges.schedule(
      { kind: 'archive-bytes', accountId: ACCOUNT, vaultName: 'v', archiveId },
      svc.now().getTime() + ARCHIVE_BYTES_GRACE_MS,
    );
    svc.advance(ARCHIVE_BYTES_GRACE_MS);
    // The removal, and the upload's check for unrecorded bytes: neither removes a live archive's bytes.
    expect(await runJanitor(svc)).toEqual({ uploads: 0, purges: 2 });
    expect(svc.blobs.bytes(blobKey).equals(body)).toBe(true);
    expect(svc.purges.pending()).toEqual([]);

    await deleteArchive(svc, ACCOUNT, 'v', archiveId);
    svc.advance(ARCHIVE_BYTES_GRACE_MS);
    expect(await runJanitor(svc)).toEqual({ uploads: 0, purges: 1 });
    expect(svc.blobs.keys()).toEqual([]);
  });

  it('answers 404 for an archive that never existed', async () => {
    const id = newArchiveId();
    await expect(deleteArchive(svc, ACCOUNT, 'v', id)).rejects.toEqual(
      expect.objectContaining({
        code: 'ResourceNotFoundException',
        status: 404,
        message: `Archive not found for ARN: ${arn('v')}/archives/${id}`,
      }),
    );
    expect((await svc.metadata.getVault(ACCOUNT, 'v'))?.lastWriteMs).toBeUndefined();
  });

  it('answers 404 for a vault that does not exist', async () => {
    await expect(deleteArchive(svc, ACCOUNT, 'ghost', newArchiveId())).rejects.toEqual(
      error('ResourceNotFoundException', `^Vault not found for ARN: ${arn('ghost')}$`),
    );
  });

  it('does not find an archive through another vault', async () => {
    await createVault(svc, ACCOUNT, 'other');
    const { archiveId } = await upload(svc, 'v', 'bytes');
    await expect(deleteArchive(svc, ACCOUNT, 'other', archiveId)).rejects.toEqual(error('ResourceNotFoundException', /^Archive not found/));
    expect(svc.blobs.keys()).toHaveLength(1);
  });
});

describe('a vault deleted and created again with the same name', () => {
  const vault = async () => (await svc.metadata.getVault(ACCOUNT, 'v')) as VaultRecord;

  it('does not see the archive records of the earlier vault', async () => {
    const old = await upload(svc, 'v', 'old bytes', 'old');
    // A record of the earlier vault that is not marked deleted, as an upload racing the vault's deletion could leave.
    const stray = { ...((await svc.metadata.getArchive(ACCOUNT, 'v', old.archiveId)) as ArchiveRecord), archiveId: newArchiveId() };
    svc.advance(1000);
    await deleteArchive(svc, ACCOUNT, 'v', old.archiveId);
    svc.advance(1000);
    expect(await inventoryVault(svc, await vault())).toMatchObject({ numberOfArchives: 0 });
    svc.advance(1000);
    await deleteVault(svc, ACCOUNT, 'v');
    expect(await svc.metadata.getVault(ACCOUNT, 'v')).toBeUndefined();
    await svc.metadata.createArchive(stray);

    svc.advance(60_000);
    await createVault(svc, ACCOUNT, 'v');
    expect((await vault()).creationDate).toBe('2024-06-01T12:01:04.000Z');
    svc.advance(1000);
    const current = await upload(svc, 'v', 'new bytes', 'new');

    await expect(deleteArchive(svc, ACCOUNT, 'v', old.archiveId)).rejects.toEqual(
      expect.objectContaining({
        code: 'ResourceNotFoundException',
        message: `Archive not found for ARN: ${arn('v')}/archives/${old.archiveId}`,
      }),
    );
    await expect(deleteArchive(svc, ACCOUNT, 'v', stray.archiveId)).rejects.toEqual(
      error('ResourceNotFoundException', /^Archive not found/),
    );
    svc.advance(1000);
    const summary = (await inventoryVault(svc, await vault())) as InventorySummary;
    expect(summary).toMatchObject({ numberOfArchives: 1, sizeInBytes: 'new bytes'.length });
    expect((await svc.metadata.getInventoryChunk(ACCOUNT, 'v', summary.id, 0))?.map((entry) => entry.ArchiveId)).toEqual([
      current.archiveId,
    ]);
  });
});
