// Crashes inside requests over HTTP, on the embedded stores: the request answers 500
// ServiceUnavailableException, the client's retry succeeds, and the stored state is consistent,
// also once the janitor has run a day later.
import { randomBytes } from 'node:crypto';
import { readAll } from '../../lambda/domain/blobs';
import {
  CompleteMultipartUploadCommand,
  CreateVaultCommand,
  DeleteVaultCommand,
  DeleteArchiveCommand,
  GlacierClient,
  InitiateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  UploadArchiveCommand,
  UploadMultipartPartCommand,
} from '@aws-sdk/client-glacier';
import { MiB, treeHash } from '../../lambda/domain/checksums';
import { FAILPOINTS, disableFailpoints, enableFailpoints, type FailpointName } from '../../lambda/domain/failpoints';
import { inventoryVault } from '../../lambda/domain/inventory';
import { runJanitor } from '../../lambda/domain/janitor';
import type { Services } from '../../lambda/domain/services';
import type { ArchiveRecord } from '../../lambda/domain/ports';
import { failure } from '../support/glacier';
import { startTestServer, type TestServer } from '../support/local-server';
import { ACCOUNT } from '../support/accounts';

let server: TestServer;
let glacier: GlacierClient;
const A_DAY_LATER = 24 * 60 * 60 * 1000 + 60_000;
const hex = (bytes: Buffer) => treeHash(bytes).toString('hex');

/** Makes the first pass through `target` throw, as a crash there would stop the request. */
function crashAt(target: FailpointName): () => boolean {
  let crashed = false;
  enableFailpoints((name) => {
    if (name === target && !crashed) {
      crashed = true;
      throw new Error(`crash at ${name}`);
    }
  });
  return () => crashed;
}

async function expectCrash(target: FailpointName, request: Promise<unknown>): Promise<void> {
  const crashed = crashAt(target);
  const error = await failure(request);
  expect(crashed()).toBe(true);
  expect(error.name).toBe('ServiceUnavailableException');
  expect(error.$metadata.httpStatusCode).toBe(500);
  disableFailpoints();
}

async function archivesOf(vaultName: string): Promise<ArchiveRecord[]> {
  const archives: ArchiveRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await server.services.metadata.listArchives(ACCOUNT, vaultName, cursor);
    archives.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return archives;
}

/** Reads an archive's bytes back from S3 through its record. */
async function storedBytes(archive: ArchiveRecord): Promise<Buffer> {
  const { blobs, uploads } = server.services;
  if (archive.layout.kind === 'blob') return readAll(await blobs.get(archive.layout.blobKey));
  const keys: string[] = [];
  for (let chunk = 0; chunk < archive.layout.chunks; chunk += 1)
    keys.push(...((await uploads.getSegments(ACCOUNT, archive.vaultName, archive.archiveId, chunk)) ?? []));
  expect(keys).toHaveLength(archive.layout.count);
  return Buffer.concat(await Promise.all(keys.map(async (key) => readAll(await blobs.get(key)))));
}

/** Every archive not deleted has all its bytes, with the tree hash it was recorded with. */
async function expectWholeArchives(vaultName: string): Promise<ArchiveRecord[]> {
  const live = (await archivesOf(vaultName)).filter((archive) => !archive.deletedDate);
  for (const archive of live) expect(hex(await storedBytes(archive))).toBe(archive.treeHash);
  return live;
}

/** Single-blob archive bytes in S3 that no archive record of this file's vaults points at. */
async function unrecordedArchiveBlobs(): Promise<string[]> {
  const recorded = new Set<string>();
  for (let i = 1; i <= vaultCount; i += 1) {
    for (const archive of await archivesOf(`crash-${i}`)) if (archive.layout.kind === 'blob') recorded.add(archive.layout.blobKey);
  }
  return (await server.services.blobs.list(`${ACCOUNT}/archives/`)).filter((key) => !recorded.has(key));
}

/** The janitor as it will run a day from now. */
function janitorADayLater(): Promise<unknown> {
  const later: Services = { ...server.services, now: () => new Date(Date.now() + A_DAY_LATER) };
  return runJanitor(later);
}

let vaultCount = 0;
async function newVault(): Promise<string> {
  const vaultName = `crash-${(vaultCount += 1)}`;
  await glacier.send(new CreateVaultCommand({ accountId: '-', vaultName }));
  return vaultName;
}

const upload = (vaultName: string, body: Buffer) =>
  glacier.send(new UploadArchiveCommand({ accountId: '-', vaultName, body, archiveDescription: 'crash test' }));

beforeAll(async () => {
  server = await startTestServer();
  glacier = server.client();
});

afterEach(() => disableFailpoints());

afterAll(async () => {
  await server.destroy();
});

describe('UploadArchive', () => {
  it.each([
    ['upload-archive:after-blob', 1],
    ['upload-archive:after-first-stamp', 1],
    ['upload-archive:after-record', 2],
  ] as const)('crashing at %s: 500, a retry stores a new archive, and no unrecorded bytes outlive the janitor', async (point, archives) => {
    const vaultName = await newVault();
    const body = randomBytes(3000);
    await expectCrash(point, upload(vaultName, body));

    const retried = await upload(vaultName, body);
    expect(retried.checksum).toBe(hex(body));
    const live = await expectWholeArchives(vaultName);
    expect(live.map((archive) => archive.archiveId)).toContain(retried.archiveId);
    expect(live).toHaveLength(archives);

    // The first attempt's bytes are left unrecorded only if its archive was not recorded; the janitor removes them.
    expect(await unrecordedArchiveBlobs()).toHaveLength(2 - archives);
    await janitorADayLater();
    expect(await unrecordedArchiveBlobs()).toEqual([]);
    await expectWholeArchives(vaultName);
  });
});

describe('CompleteMultipartUpload', () => {
  const data = Buffer.concat([randomBytes(MiB), randomBytes(1234)]);

  async function uploadParts(vaultName: string): Promise<string> {
    const { uploadId } = await glacier.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName, partSize: String(MiB) }));
    for (let start = 0; start < data.length; start += MiB) {
      const body = data.subarray(start, start + MiB);
      await glacier.send(
        new UploadMultipartPartCommand({
          accountId: '-',
          vaultName,
          uploadId,
          range: `bytes ${start}-${start + body.length - 1}/*`,
          body,
          checksum: hex(body),
        }),
      );
    }
    return uploadId as string;
  }

  const complete = (vaultName: string, uploadId: string) =>
    glacier.send(
      new CompleteMultipartUploadCommand({ accountId: '-', vaultName, uploadId, archiveSize: String(data.length), checksum: hex(data) }),
    );

  it.each<FailpointName>(FAILPOINTS.filter((name) => name.startsWith('complete-upload:')))(
    'crashing at %s: 500, and a retry answers the one archive the upload reserved',
    async (point) => {
      const vaultName = await newVault();
      const uploadId = await uploadParts(vaultName);
      await expectCrash(point, complete(vaultName, uploadId));
      const reserved = (await server.services.uploads.getUpload(ACCOUNT, vaultName, uploadId))?.reservedArchiveId;
      expect(reserved).toBeDefined();

      const retried = await complete(vaultName, uploadId);
      expect(retried.archiveId).toBe(reserved);
      expect(retried.checksum).toBe(hex(data));
      expect((await complete(vaultName, uploadId)).archiveId).toBe(reserved);
      expect((await expectWholeArchives(vaultName)).map((archive) => archive.archiveId)).toEqual([reserved]);
      expect((await glacier.send(new ListMultipartUploadsCommand({ accountId: '-', vaultName }))).UploadsList).toEqual([]);

      await janitorADayLater();
      expect(await server.services.uploads.getUpload(ACCOUNT, vaultName, uploadId)).toBeUndefined();
      // Only the parts the archive is made of are left of the upload's bytes.
      expect(await server.services.blobs.list(`${ACCOUNT}/uploads/${uploadId}/`)).toHaveLength(2);
      expect((await expectWholeArchives(vaultName)).map((archive) => archive.archiveId)).toEqual([reserved]);
    },
  );
});

describe('DeleteArchive', () => {
  it.each<FailpointName>(['delete-archive:after-schedule', 'delete-archive:after-tombstone'])(
    'crashing at %s: 500, a retry answers 204, and the bytes go with the janitor',
    async (point) => {
      const vaultName = await newVault();
      const body = randomBytes(500);
      const archiveId = (await upload(vaultName, body)).archiveId as string;
      const blobKey = `${ACCOUNT}/archives/${archiveId}`;
      await expectCrash(point, glacier.send(new DeleteArchiveCommand({ accountId: '-', vaultName, archiveId })));
      // Wherever the delete stopped, the bytes stay until the janitor's grace is over.
      expect((await readAll(await server.services.blobs.get(blobKey))).equals(body)).toBe(true);

      const retried = await glacier.send(new DeleteArchiveCommand({ accountId: '-', vaultName, archiveId }));
      expect(retried.$metadata.httpStatusCode).toBe(204);
      expect((await server.services.metadata.getArchive(ACCOUNT, vaultName, archiveId))?.deletedDate).toBeDefined();

      await janitorADayLater();
      expect(await server.services.blobs.list(blobKey)).toEqual([]);
    },
  );
});

describe('an upload overtaken by an inventory and DeleteVault (over the wire stores)', () => {
  it('answers 404, never 201, for an archive whose vault was deleted while it was being recorded', async () => {
    const vaultName = await newVault();
    const services = server.services;
    const realNow = services.now;
    let deleted = false;
    // Held after the first vault stamp: the vault is inventoried (empty: the archive is not recorded yet) a while later, then deleted.
    enableFailpoints(async (name) => {
      if (name !== 'upload-archive:after-first-stamp' || deleted) return;
      services.now = () => new Date(realNow().getTime() + 60_000);
      const vault = await services.metadata.getVault(ACCOUNT, vaultName);
      if (vault) await inventoryVault(services, vault);
      await glacier.send(new DeleteVaultCommand({ accountId: '-', vaultName }));
      deleted = (await services.metadata.getVault(ACCOUNT, vaultName)) === undefined;
    });
    try {
      const error = await failure(upload(vaultName, randomBytes(2 * MiB)));
      expect(deleted).toBe(true);
      expect(error.name).toBe('ResourceNotFoundException');
      expect(error.$metadata.httpStatusCode).toBe(404);
      expect((await archivesOf(vaultName)).filter((archive) => !archive.deletedDate)).toEqual([]);
    } finally {
      services.now = realNow;
    }
  });
});
