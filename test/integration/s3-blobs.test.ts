import { randomBytes } from 'node:crypto';
import { createServer, connect, type AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { readLocalConfig } from '../../lambda/config';
import { sha256 } from '../../lambda/domain/checksums';
import { putBytes, readAll, streamOf } from '../../lambda/domain/blobs';
import { S3BlobStore, restoreStatusOf } from '../../lambda/store/s3-blobs';
import { createS3Client } from '../../lambda/wiring';
import { startS3rver, type EmbeddedServer } from '../support/embedded';

const BUCKET = 'b';
const MiB = 1024 * 1024;

let server: EmbeddedServer;
let s3: S3Client;
let blobs: S3BlobStore;
/** The S3 commands sent, in order. */
const commands: string[] = [];

beforeAll(async () => {
  server = await startS3rver(BUCKET);
  const config = readLocalConfig({ COLDVAULT_S3_ENDPOINT: server.endpoint, COLDVAULT_STORAGE_CLASS: 'DEEP_ARCHIVE' });
  s3 = createS3Client(config);
  blobs = new S3BlobStore(s3, BUCKET, config.storageClass);
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      commands.push(context.commandName ?? '');
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
});

afterAll(async () => {
  s3?.destroy();
  await server?.close();
});

const put = (key: string, body: Buffer) => putBytes(blobs, key, body);
const read = async (key: string, range?: { start: number; end: number }) => readAll(await blobs.get(key, range));

describe('S3BlobStore on s3rver', () => {
  it('stores bytes and reads them back whole', async () => {
    const body = Buffer.from('hello, cold storage');
    await put('acct/vault/one', body);
    expect((await read('acct/vault/one')).toString()).toBe('hello, cold storage');
  });

  it('reads inclusive byte ranges at the start, middle and end', async () => {
    const body = randomBytes(10_000);
    await put('acct/vault/ranges', body);
    // Not { start: 0, end: 0 }: s3rver reads an end of 0 as "to the end of the object".
    const cases = [
      [0, 1],
      [0, 1023],
      [4000, 6999],
      [5000, 5000],
      [9000, 9999],
      [9999, 9999],
    ];
    for (const [start, end] of cases) {
      const part = await read('acct/vault/ranges', { start, end });
      expect({ start, end, length: part.length, same: part.equals(body.subarray(start, end + 1)) }).toEqual({
        start,
        end,
        length: end + 1 - start,
        same: true,
      });
    }
  });

  it('refuses an answer of another length than the range asked for (s3rver reads an end of 0 as the end of the object)', async () => {
    await put('acct/vault/first-byte', randomBytes(10_000));
    await expect(blobs.get('acct/vault/first-byte', { start: 0, end: 0 })).rejects.toThrow(
      'S3 answered 10000 bytes for the 1-byte range 0-0 of acct/vault/first-byte',
    );
  });

  it('lists keys in key order, whatever order the server sends them in', async () => {
    for (const key of ['acct/order/x/2', 'acct/order/x', 'acct/order/x/1', 'acct/order/xy']) await put(key, Buffer.from(key));
    expect(await blobs.list('acct/order/')).toEqual(['acct/order/x', 'acct/order/x/1', 'acct/order/x/2', 'acct/order/xy']);
  });

  it('records the configured storage class', async () => {
    await put('acct/vault/classed', Buffer.from('x'));
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'acct/vault/classed' }));
    expect(head.StorageClass).toBe('DEEP_ARCHIVE');
    expect(head.ContentLength).toBe(1);
  });

  it('reports an archive-class object never restored as such, and a hot one as readable', async () => {
    await put('acct/vault/cold', Buffer.from('cold'));
    await putBytes(blobs, 'acct/vault/hot', Buffer.from('hot'), { hot: true });
    expect(await blobs.restoreStatus('acct/vault/cold')).toBe('none');
    expect(await blobs.restoreStatus('acct/vault/hot')).toBe('restored');
    await expect(blobs.restoreStatus('acct/vault/missing')).rejects.toMatchObject({ name: 'NotFound' });
  });

  it('reads the x-amz-restore header as S3 sends it', () => {
    expect(restoreStatusOf({ StorageClass: 'GLACIER', Restore: 'ongoing-request="true"' })).toBe('in-progress');
    expect(
      restoreStatusOf({ StorageClass: 'GLACIER', Restore: 'ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"' }),
    ).toBe('restored');
    expect(restoreStatusOf({ StorageClass: 'DEEP_ARCHIVE' })).toBe('none');
    expect(restoreStatusOf({ StorageClass: 'GLACIER_IR' })).toBe('restored');
    expect(restoreStatusOf({})).toBe('restored');
  });

  it('deletes an object, and deleting a missing key succeeds', async () => {
    await put('acct/vault/doomed', Buffer.from('bye'));
    await blobs.delete('acct/vault/doomed');
    await expect(read('acct/vault/doomed')).rejects.toMatchObject({ name: 'NoSuchKey' });
    await expect(blobs.delete('acct/vault/doomed')).resolves.toBeUndefined();
    await expect(blobs.delete('acct/vault/never-there')).resolves.toBeUndefined();
  });

  it('round-trips 5 MiB of binary data', async () => {
    const body = randomBytes(5 * 1024 * 1024);
    // Every byte value, including ones that are not valid UTF-8 on their own.
    for (let i = 0; i < 256; i += 1) body[i] = i;
    await put('acct/vault/five-mib', body);
    const back = await read('acct/vault/five-mib');
    expect(back.length).toBe(body.length);
    expect(back.equals(body)).toBe(true);
    const tail = await read('acct/vault/five-mib', { start: body.length - 1_000_000, end: body.length - 1 });
    expect(tail.equals(body.subarray(body.length - 1_000_000))).toBe(true);
  });

  it('stages a body that arrives in pieces, and get hands back the stored stream', async () => {
    const body = randomBytes(300_000);
    const staged = await blobs.stage('acct/vault/streamed', trickle(body, 7_001), { size: body.length, sha256: sha256(body) });
    await staged.commit();
    await staged.commit();
    const stream = await blobs.get('acct/vault/streamed');
    expect(stream).toBeInstanceOf(Readable);
    expect((await readAll(stream)).equals(body)).toBe(true);
  });

  it('discard removes what was staged, and may be called again', async () => {
    const body = randomBytes(1000);
    const staged = await blobs.stage('acct/vault/discarded', streamOf(body), { size: body.length });
    await staged.discard();
    await staged.discard();
    expect(await exists('acct/vault/discarded')).toBe(false);
  });

  // S3 drops a PutObject whose body is cut short; s3rver keeps what it received (at a moment the
  // client can't observe), so that "nothing is left" is checked here through multipart uploads,
  // which are never completed on a failure. The domain queues every staged key's removal anyway.
  it.each([
    ['shorter', 999],
    ['longer', 1001],
  ])('refuses a body %s than its size and leaves nothing', async (_, size) => {
    await expect(multipart().stage('acct/vault/miscounted', streamOf(randomBytes(1000)), { size })).rejects.toThrow(/bytes expected/);
    expect(await exists('acct/vault/miscounted')).toBe(false);
  });

  it('passes on the error of a body that fails, in one PutObject', async () => {
    const body = randomBytes(3 * MiB);
    const mismatch = new Error("The provided 'x-amz-content-sha256' header does not match what was computed.");
    await expect(blobs.stage('acct/vault/put-mismatch', failing(body, body.length, mismatch), { size: body.length })).rejects.toBe(
      mismatch,
    );
    const gone = new Error('aborted');
    await expect(blobs.stage('acct/vault/put-gone', failing(body, MiB + 5, gone), { size: body.length })).rejects.toBe(gone);
  });

  it.each([
    ['at its end (a hash mismatch)', 20 * MiB, new Error("The provided 'x-amz-content-sha256' header does not match what was computed.")],
    ['mid-way (a client gone)', 10 * MiB + 5, new Error('aborted')],
  ])('a multipart stage whose body fails %s rejects with that error and aborts the upload', async (_, failAt, error) => {
    const body = randomBytes(20 * MiB);
    commands.length = 0;
    await expect(multipart().stage('acct/vault/failed', failing(body, failAt, error), { size: body.length })).rejects.toBe(error);
    expect(await exists('acct/vault/failed')).toBe(false);
    expect(commands).not.toContain('CompleteMultipartUploadCommand');
    if (commands.includes('CreateMultipartUploadCommand')) expect(commands).toContain('AbortMultipartUploadCommand');
  });

  it('stages a large body as a multipart upload, streamed, and reads it back whole and by range', async () => {
    const body = randomBytes(19 * MiB + 3);
    commands.length = 0;
    await (await multipart().stage('acct/vault/large', trickle(body, 1 << 16), { size: body.length, sha256: sha256(body) })).commit();
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'acct/vault/large' }));
    // 8 MiB parts: three of them.
    expect(commands.filter((name) => name === 'UploadPartCommand')).toHaveLength(3);
    expect(commands).toContain('CompleteMultipartUploadCommand');
    expect(head.StorageClass).toBe('DEEP_ARCHIVE');
    expect((await read('acct/vault/large')).equals(body)).toBe(true);
    expect(
      (await read('acct/vault/large', { start: 8 * MiB - 10, end: 16 * MiB + 10 })).equals(body.subarray(8 * MiB - 10, 16 * MiB + 11)),
    ).toBe(true);
  });
});

/** A store that sends every body as a multipart upload. */
const multipart = () => new S3BlobStore(s3, BUCKET, 'DEEP_ARCHIVE', 0);

async function exists(key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    return true;
  } catch (error) {
    if ((error as { name?: string }).name === 'NotFound') return false;
    throw error;
  }
}

/** The bytes in chunks of `size`, each on a later turn of the event loop, as a socket delivers them. */
function trickle(body: Buffer, size: number): Readable {
  return Readable.from(
    (async function* () {
      for (let offset = 0; offset < body.length; offset += size) {
        await new Promise((resolve) => setImmediate(resolve));
        yield body.subarray(offset, offset + size);
      }
    })(),
    { objectMode: false },
  );
}

/** Delivers `body` up to `failAt` bytes, then fails with `error`, as a request body does on a hash mismatch or a lost client. */
function failing(body: Buffer, failAt: number, error: Error): Readable {
  return Readable.from(
    (async function* () {
      for (let offset = 0; offset < failAt; offset += 1 << 16) {
        await new Promise((resolve) => setImmediate(resolve));
        yield body.subarray(offset, Math.min(offset + (1 << 16), failAt));
      }
      throw error;
    })(),
    { objectMode: false },
  );
}

describe('S3BlobStore connections', () => {
  it('keeps one connection for a run of multi-MiB uploads (no fresh connection, and TLS handshake, per archive)', async () => {
    // The SDK sends bodies of 2 MiB or more with "Expect: 100-continue" unless told not to, and
    // sends each such request on a new connection that it closes after.
    let connections = 0;
    const target = new URL(server.endpoint);
    const proxy = createServer((client) => {
      connections += 1;
      const upstream = connect(Number(target.port), target.hostname);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((listening) => proxy.listen(0, '127.0.0.1', listening));
    const config = readLocalConfig({
      COLDVAULT_S3_ENDPOINT: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      COLDVAULT_STORAGE_CLASS: 'DEEP_ARCHIVE',
    });
    const client = createS3Client(config);
    try {
      const proxied = new S3BlobStore(client, BUCKET, config.storageClass);
      for (let i = 0; i < 3; i += 1) await putBytes(proxied, `acct/vault/kept-alive-${i}`, randomBytes(3 * MiB));
      expect(connections).toBe(1);
    } finally {
      client.destroy();
      await new Promise((closed) => proxy.close(closed));
    }
  });
});
