import { randomBytes } from 'node:crypto';
import { readAll } from '../../lambda/domain/blobs';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateVaultCommand,
  DeleteArchiveCommand,
  DeleteVaultCommand,
  DescribeVaultCommand,
  GlacierClient,
  InitiateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  UploadMultipartPartCommand,
  paginateListMultipartUploads,
  paginateListParts,
} from '@aws-sdk/client-glacier';
import { MiB, treeHash } from '../../lambda/domain/checksums';
import { createServices } from '../../lambda/wiring';
import { failure } from '../support/glacier';
import { startTestServer, type TestServer } from '../support/local-server';
import { oracleTreeHash } from '../support/tree-hash-oracle';
import { ACCOUNT } from '../support/accounts';

let server: TestServer;
let glacier: GlacierClient;
const VAULT = 'multipart';

async function initiate(partSize: number, archiveDescription?: string) {
  const out = await glacier.send(
    new InitiateMultipartUploadCommand({ accountId: '-', vaultName: VAULT, partSize: String(partSize), archiveDescription }),
  );
  return out.uploadId as string;
}

function uploadPart(uploadId: string, start: number, body: Buffer, checksum?: string) {
  return glacier.send(
    new UploadMultipartPartCommand({
      accountId: '-',
      vaultName: VAULT,
      uploadId,
      range: `bytes ${start}-${start + body.length - 1}/*`,
      body,
      checksum,
    }),
  );
}

function complete(uploadId: string, archiveSize: number, checksum: string) {
  return glacier.send(
    new CompleteMultipartUploadCommand({ accountId: '-', vaultName: VAULT, uploadId, archiveSize: String(archiveSize), checksum }),
  );
}

/** Reads a multipart archive's stored bytes back from S3, in order, through its segment list. */
async function storedTreeHash(archiveId: string): Promise<{ size: number; hash: string }> {
  const svc = createServices(server.config);
  const archive = await svc.metadata.getArchive(ACCOUNT, VAULT, archiveId);
  if (!archive || archive.layout.kind !== 'parts') throw new Error('not a multipart archive');
  const hash = oracleTreeHash();
  let size = 0;
  for (let chunk = 0; chunk < archive.layout.chunks; chunk += 1) {
    for (const key of (await svc.uploads.getSegments(ACCOUNT, VAULT, archiveId, chunk)) ?? []) {
      const bytes = await readAll(await svc.blobs.get(key));
      size += bytes.length;
      hash.update(bytes);
    }
  }
  return { size, hash: await hash.hex() };
}

beforeAll(async () => {
  // The API Gateway plane's body limit, whose largest part size is 4 MiB.
  server = await startTestServer({ COLDVAULT_STORES: 'emulated', COLDVAULT_LIMITS: 'lambda' });
  glacier = server.client();
  await glacier.send(new CreateVaultCommand({ accountId: '-', vaultName: VAULT }));
});
afterAll(() => server.destroy());

describe('InitiateMultipartUpload', () => {
  it('answers Location and the upload ID', async () => {
    const out = await glacier.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName: VAULT, partSize: String(MiB) }));
    expect(out.$metadata.httpStatusCode).toBe(201);
    expect(out.uploadId).toMatch(/^[\w][\w-]{60,}$/);
    expect(out.location).toBe(`/${ACCOUNT}/vaults/${VAULT}/multipart-uploads/${out.uploadId}`);
  });

  it.each(['0', String(3 * MiB), String(MiB + 1), 'abc', String(512 * 1024)])('refuses part size %s', async (partSize) => {
    const error = await failure(glacier.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName: VAULT, partSize })));
    expect(error.name).toBe('InvalidParameterValueException');
    expect(error.message).toBe(
      `Invalid part size: ${partSize}. Part size must not be null, must be a power of two and be between 1048576 and 4294967296 bytes.`,
    );
  });

  it('refuses, at initiate, a part size larger than this endpoint takes in one request', async () => {
    const error = await failure(
      glacier.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName: VAULT, partSize: String(8 * MiB) })),
    );
    expect(error.name).toBe('InvalidParameterValueException');
    expect(error.message).toMatch(/largest part size is 4194304 bytes/);
  });

  it('answers 404 for a vault that does not exist', async () => {
    const error = await failure(
      glacier.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName: 'nope', partSize: String(MiB) })),
    );
    expect(error.name).toBe('ResourceNotFoundException');
  });
});

describe('UploadMultipartPart', () => {
  it('takes aligned parts, answers their tree hash, and rejects misaligned or mismatched ranges', async () => {
    const uploadId = await initiate(MiB);
    const part = randomBytes(MiB);
    const out = await uploadPart(uploadId, 0, part);
    expect(out.$metadata.httpStatusCode).toBe(204);
    expect(out.checksum).toBe(treeHash(part).toString('hex'));

    let error = await failure(uploadPart(uploadId, 1000, randomBytes(MiB)));
    expect(error.name).toBe('InvalidParameterValueException');
    expect(error.message).toMatch(/must start at a multiple of the part size \(1048576 bytes\)/);

    error = await failure(uploadPart(uploadId, 0, randomBytes(2 * MiB)));
    expect(error.message).toMatch(/at most that long/);

    error = await failure(
      glacier.send(
        new UploadMultipartPartCommand({ accountId: '-', vaultName: VAULT, uploadId, range: `bytes 0-99/*`, body: randomBytes(50) }),
      ),
    );
    expect(error.message).toBe('Content-Range: bytes 0-99/* is incompatible with Content-Length: 50');

    error = await failure(uploadPart(uploadId, MiB, randomBytes(MiB), 'cd'.repeat(32)));
    expect(error.message).toMatch(/^Checksum mismatch: expected cdcd/);
    const parts = await glacier.send(new ListPartsCommand({ accountId: '-', vaultName: VAULT, uploadId }));
    expect(parts.Parts?.map((p) => p.RangeInBytes)).toEqual(['0-1048575']);
  });

  it("refuses the 10,001st part with Glacier's message", async () => {
    const uploadId = await initiate(MiB);
    const error = await failure(uploadPart(uploadId, 10_000 * MiB, randomBytes(10)));
    expect(error.message).toBe('This is part number 10001 for the current multipart upload. It exceeds the limit of 10000 parts.');
  });

  it('answers 404 for an upload that does not exist', async () => {
    const error = await failure(uploadPart('no-such-upload', 0, randomBytes(10)));
    expect(error.name).toBe('ResourceNotFoundException');
  });

  it('overwrites a range uploaded again', async () => {
    const uploadId = await initiate(MiB);
    await uploadPart(uploadId, 0, randomBytes(MiB));
    const replacement = randomBytes(MiB);
    await uploadPart(uploadId, 0, replacement);
    const last = randomBytes(10);
    await uploadPart(uploadId, MiB, last);
    const whole = Buffer.concat([replacement, last]);
    const out = await complete(uploadId, whole.length, treeHash(whole).toString('hex'));
    expect(out.checksum).toBe(treeHash(whole).toString('hex'));
    expect(await storedTreeHash(out.archiveId as string)).toEqual({ size: whole.length, hash: treeHash(whole).toString('hex') });
  });
});

describe('CompleteMultipartUpload', () => {
  it('checks for missing ranges, the archive size, a short middle part and the tree hash', async () => {
    const uploadId = await initiate(MiB);
    const parts = [randomBytes(MiB), randomBytes(MiB), randomBytes(300)];
    await uploadPart(uploadId, 0, parts[0]);
    await uploadPart(uploadId, 2 * MiB, parts[2]);
    const whole = Buffer.concat(parts);
    const hash = treeHash(whole).toString('hex');

    let error = await failure(complete(uploadId, whole.length, hash));
    expect(error.message).toBe('Multipart upload is missing the range bytes 1048576-2097151.');

    await uploadPart(uploadId, MiB, parts[1]);
    error = await failure(complete(uploadId, whole.length + 1, hash));
    expect(error.message).toBe(`Invalid archive size: ${whole.length + 1}. The uploaded parts add up to ${whole.length} bytes.`);

    error = await failure(complete(uploadId, whole.length, 'ef'.repeat(32)));
    expect(error.message).toBe(`Checksum mismatch: expected ${'ef'.repeat(32)}, computed ${hash}`);

    const first = await complete(uploadId, whole.length, hash);
    expect(first.$metadata.httpStatusCode).toBe(201);
    expect(first.checksum).toBe(hash);
    expect(first.location).toBe(`/${ACCOUNT}/vaults/${VAULT}/archives/${first.archiveId}`);
    const again = await complete(uploadId, whole.length, hash);
    expect(again.archiveId).toBe(first.archiveId);
  });

  it('refuses a short part that is not the last', async () => {
    const uploadId = await initiate(MiB);
    await uploadPart(uploadId, 0, randomBytes(1000));
    await uploadPart(uploadId, MiB, randomBytes(1000));
    const error = await failure(complete(uploadId, 2000, 'ab'.repeat(32)));
    expect(error.message).toMatch(/only the last part may be/);
  });

  it('requires the archive size and the tree hash', async () => {
    const uploadId = await initiate(MiB);
    const error = await failure(
      glacier.send(new CompleteMultipartUploadCommand({ accountId: '-', vaultName: VAULT, uploadId, checksum: 'ab'.repeat(32) })),
    );
    expect(error.name).toBe('MissingParameterValueException');
    expect(error.message).toBe('Required parameter missing: x-amz-archive-size');
  });
});

describe('AbortMultipartUpload and the lists', () => {
  it('lists open uploads with limit and marker, and abort removes one with its parts', async () => {
    const vaultName = 'lists';
    await glacier.send(new CreateVaultCommand({ accountId: '-', vaultName }));
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const out = await glacier.send(
        new InitiateMultipartUploadCommand({ accountId: '-', vaultName, partSize: String(MiB), archiveDescription: `u${i}` }),
      );
      ids.push(out.uploadId as string);
    }
    const all = await glacier.send(new ListMultipartUploadsCommand({ accountId: '-', vaultName }));
    expect(all.UploadsList?.map((u) => u.MultipartUploadId).sort()).toEqual([...ids].sort());
    expect(all.UploadsList?.[0]).toEqual(
      expect.objectContaining({
        PartSizeInBytes: MiB,
        VaultARN: `arn:aws:glacier:us-east-1:${ACCOUNT}:vaults/${vaultName}`,
        CreationDate: expect.any(String),
      }),
    );
    expect(all.Marker).toBeUndefined();

    const first = await glacier.send(new ListMultipartUploadsCommand({ accountId: '-', vaultName, limit: 2 }));
    expect(first.UploadsList).toHaveLength(2);
    const rest = await glacier.send(new ListMultipartUploadsCommand({ accountId: '-', vaultName, marker: first.Marker }));
    expect([...(first.UploadsList ?? []), ...(rest.UploadsList ?? [])].map((u) => u.MultipartUploadId).sort()).toEqual([...ids].sort());

    const aborted = ids[0];
    const out = await glacier.send(new AbortMultipartUploadCommand({ accountId: '-', vaultName, uploadId: aborted }));
    expect(out.$metadata.httpStatusCode).toBe(204);
    const after = await glacier.send(new ListMultipartUploadsCommand({ accountId: '-', vaultName }));
    expect(after.UploadsList?.map((u) => u.MultipartUploadId)).not.toContain(aborted);
    const error = await failure(glacier.send(new ListPartsCommand({ accountId: '-', vaultName, uploadId: aborted })));
    expect(error.name).toBe('ResourceNotFoundException');
    const again = await glacier.send(new AbortMultipartUploadCommand({ accountId: '-', vaultName, uploadId: aborted }));
    expect(again.$metadata.httpStatusCode).toBe(204);
  });

  it('pages through every open upload even when an upload it does not list sorts before them', async () => {
    // A vault deleted with an upload still open, then made again: the old upload is not the new vault's.
    const vaultName = 'remade';
    await glacier.send(new CreateVaultCommand({ accountId: '-', vaultName }));
    const old = await glacier.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName, partSize: String(MiB) }));
    await glacier.send(new DeleteVaultCommand({ accountId: '-', vaultName }));
    await new Promise((resolve) => setTimeout(resolve, 5));
    await glacier.send(new CreateVaultCommand({ accountId: '-', vaultName }));
    const open: string[] = [];
    while (!open.some((id) => id > (old.uploadId as string)) && open.length < 40) {
      const out = await glacier.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName, partSize: String(MiB) }));
      open.push(out.uploadId as string);
    }

    const listed: string[] = [];
    for await (const page of paginateListMultipartUploads({ client: glacier, pageSize: 1 }, { accountId: '-', vaultName })) {
      listed.push(...(page.UploadsList ?? []).map((u) => u.MultipartUploadId as string));
    }
    expect(listed.sort()).toEqual([...open].sort());
  });

  it('aborting an upload already aborted succeeds again; aborting a completed one fails', async () => {
    const uploadId = await initiate(MiB);
    const part = randomBytes(100);
    await uploadPart(uploadId, 0, part);
    await glacier.send(new AbortMultipartUploadCommand({ accountId: '-', vaultName: VAULT, uploadId }));
    const again = await glacier.send(new AbortMultipartUploadCommand({ accountId: '-', vaultName: VAULT, uploadId }));
    expect(again.$metadata.httpStatusCode).toBe(204);
    expect((await failure(uploadPart(uploadId, 0, part))).name).toBe('ResourceNotFoundException');
    expect((await failure(complete(uploadId, part.length, treeHash(part).toString('hex')))).name).toBe('ResourceNotFoundException');

    const completed = await initiate(MiB);
    await uploadPart(completed, 0, part);
    await complete(completed, part.length, treeHash(part).toString('hex'));
    const error = await failure(glacier.send(new AbortMultipartUploadCommand({ accountId: '-', vaultName: VAULT, uploadId: completed })));
    expect(error.name).toBe('ResourceNotFoundException');
  });

  it('AbortMultipartUpload answers 404 once the vault is gone, and does not reach an upload of an earlier vault of the same name', async () => {
    const vaultName = 'gone';
    await glacier.send(new CreateVaultCommand({ accountId: '-', vaultName }));
    const out = await glacier.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName, partSize: String(MiB) }));
    await glacier.send(new DeleteVaultCommand({ accountId: '-', vaultName }));
    let error = await failure(glacier.send(new AbortMultipartUploadCommand({ accountId: '-', vaultName, uploadId: out.uploadId })));
    expect(error.name).toBe('ResourceNotFoundException');
    expect(error.message).toBe(`Vault not found for ARN: arn:aws:glacier:us-east-1:${ACCOUNT}:vaults/${vaultName}`);

    await new Promise((resolve) => setTimeout(resolve, 5));
    await glacier.send(new CreateVaultCommand({ accountId: '-', vaultName }));
    error = await failure(glacier.send(new AbortMultipartUploadCommand({ accountId: '-', vaultName, uploadId: out.uploadId })));
    expect(error.name).toBe('ResourceNotFoundException');
  });

  it('abort removes the stored parts', async () => {
    const uploadId = await initiate(MiB);
    await uploadPart(uploadId, 0, randomBytes(MiB));
    await uploadPart(uploadId, MiB, randomBytes(MiB));
    const svc = createServices(server.config);
    expect(await svc.blobs.list(`${ACCOUNT}/uploads/${uploadId}/`)).toHaveLength(2);
    await glacier.send(new AbortMultipartUploadCommand({ accountId: '-', vaultName: VAULT, uploadId }));
    expect(await svc.blobs.list(`${ACCOUNT}/uploads/${uploadId}/`)).toHaveLength(0);
  });

  it('ListParts pages in range order with limit and marker', async () => {
    const uploadId = await initiate(MiB);
    const parts = Array.from({ length: 7 }, () => randomBytes(MiB));
    await Promise.all(parts.map((part, i) => uploadPart(uploadId, i * MiB, part)));
    const ranges: string[] = [];
    for await (const page of paginateListParts({ client: glacier, pageSize: 3 }, { accountId: '-', vaultName: VAULT, uploadId })) {
      expect(page.Parts?.length).toBeLessThanOrEqual(3);
      expect(page.PartSizeInBytes).toBe(MiB);
      expect(page.MultipartUploadId).toBe(uploadId);
      ranges.push(...(page.Parts ?? []).map((p) => p.RangeInBytes as string));
    }
    expect(ranges).toEqual(parts.map((_, i) => `${i * MiB}-${(i + 1) * MiB - 1}`));
  });
});

it('a 64 MiB archive in 1 MiB parts, 8 at a time in shuffled order, completes and its stored bytes match the tree hash', async () => {
  const archive = randomBytes(64 * MiB);
  const expected = treeHash(archive).toString('hex');
  const uploadId = await initiate(MiB, 'sixty-four');
  const order = Array.from({ length: 64 }, (_, i) => i).sort(() => Math.random() - 0.5);
  const workers = Array.from({ length: 8 }, async () => {
    for (let i = order.pop(); i !== undefined; i = order.pop())
      await uploadPart(uploadId, i * MiB, archive.subarray(i * MiB, (i + 1) * MiB));
  });
  await Promise.all(workers);
  const out = await complete(uploadId, archive.length, expected);
  expect(out.checksum).toBe(expected);
  expect(await storedTreeHash(out.archiveId as string)).toEqual({ size: archive.length, hash: expected });

  await server.runInventory();
  const vault = await glacier.send(new DescribeVaultCommand({ accountId: '-', vaultName: VAULT }));
  expect(vault.SizeInBytes).toBeGreaterThanOrEqual(archive.length);

  // Deleted, the archive's bytes stay for the retrieval jobs that may still serve them; the
  // janitor removes them a day later (unit-tested with a clock).
  await glacier.send(new DeleteArchiveCommand({ accountId: '-', vaultName: VAULT, archiveId: out.archiveId }));
  const svc = createServices(server.config);
  expect(await svc.blobs.list(`${ACCOUNT}/uploads/${uploadId}/`)).toHaveLength(64);
  const deleted = await svc.metadata.getArchive(ACCOUNT, VAULT, out.archiveId as string);
  expect(deleted?.deletedDate).toBeDefined();
});
