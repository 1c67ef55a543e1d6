import { randomBytes } from 'node:crypto';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { readLocalConfig } from '../../lambda/config';
import { sha256 } from '../../lambda/domain/checksums';
import { S3BlobStore, restoreStatusOf } from '../../lambda/store/s3-blobs';
import { createS3Client } from '../../lambda/wiring';
import { startS3rver, type EmbeddedServer } from '../support/embedded';

const BUCKET = 'b';

let server: EmbeddedServer;
let s3: S3Client;
let blobs: S3BlobStore;

beforeAll(async () => {
  server = await startS3rver(BUCKET);
  const config = readLocalConfig({ COLDVAULT_S3_ENDPOINT: server.endpoint, COLDVAULT_STORAGE_CLASS: 'DEEP_ARCHIVE' });
  s3 = createS3Client(config);
  blobs = new S3BlobStore(s3, BUCKET, config.storageClass);
});

afterAll(async () => {
  s3?.destroy();
  await server?.close();
});

const put = (key: string, body: Buffer) => blobs.put(key, body, sha256(body));

describe('S3BlobStore on s3rver', () => {
  it('stores bytes and reads them back whole', async () => {
    const body = Buffer.from('hello, cold storage');
    await put('acct/vault/one', body);
    expect((await blobs.get('acct/vault/one')).toString()).toBe('hello, cold storage');
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
      const part = await blobs.get('acct/vault/ranges', { start, end });
      expect({ start, end, length: part.length, same: part.equals(body.subarray(start, end + 1)) }).toEqual({
        start,
        end,
        length: end + 1 - start,
        same: true,
      });
    }
  });

  it('records the configured storage class', async () => {
    await put('acct/vault/classed', Buffer.from('x'));
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'acct/vault/classed' }));
    expect(head.StorageClass).toBe('DEEP_ARCHIVE');
    expect(head.ContentLength).toBe(1);
  });

  it('reports an archive-class object never restored as such, and a hot one as readable', async () => {
    await put('acct/vault/cold', Buffer.from('cold'));
    await blobs.put('acct/vault/hot', Buffer.from('hot'), sha256(Buffer.from('hot')), { hot: true });
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
    await expect(blobs.get('acct/vault/doomed')).rejects.toMatchObject({ name: 'NoSuchKey' });
    await expect(blobs.delete('acct/vault/doomed')).resolves.toBeUndefined();
    await expect(blobs.delete('acct/vault/never-there')).resolves.toBeUndefined();
  });

  it('round-trips 5 MiB of binary data', async () => {
    const body = randomBytes(5 * 1024 * 1024);
    // Every byte value, including ones that are not valid UTF-8 on their own.
    for (let i = 0; i < 256; i += 1) body[i] = i;
    await put('acct/vault/five-mib', body);
    const back = await blobs.get('acct/vault/five-mib');
    expect(back.length).toBe(body.length);
    expect(back.equals(body)).toBe(true);
    const tail = await blobs.get('acct/vault/five-mib', { start: body.length - 1_000_000, end: body.length - 1 });
    expect(tail.equals(body.subarray(body.length - 1_000_000))).toBe(true);
  });
});
