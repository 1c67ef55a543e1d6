// The behaviour every (streamed) BlobStore must have, run against the file store. The S3 adapter
// has its own suite on s3rver (s3-blobs.test.ts): s3rver departs from S3 where some of these cases
// look (it normalises "." and ".." in keys, keeps an empty object after an aborted PUT, and reads
// a range ending at byte 0 as one to the end), and an S3 object is readable once its PutObject
// returns, before the commit that the domain's record follows.
import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import type { BlobStore } from '../../lambda/domain/ports';

export interface BlobStoreContractOptions {
  /** Bytes staged and never committed that the store still holds (files: temporary files), to check that none are left. */
  leftovers?: () => Promise<number>;
}

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** A body sent in small chunks, as a socket delivers it. */
function chunked(bytes: Buffer, chunkSize = 64 * 1024): Readable {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += chunkSize) chunks.push(bytes.subarray(offset, offset + chunkSize));
  return Readable.from(chunks);
}

/** A body that sends `bytes` then fails, as a client that goes away (or a hash mismatch found at the end) does. */
function failing(bytes: Buffer, error: Error): Readable {
  const body = new PassThrough();
  body.write(bytes);
  setImmediate(() => body.destroy(error));
  return body;
}

export function blobStoreContract(make: () => Promise<BlobStore>, options: BlobStoreContractOptions = {}): void {
  let store: BlobStore;
  const leftovers = async () => (options.leftovers ? options.leftovers() : 0);

  beforeEach(async () => {
    store = await make();
  });

  it('keeps a staged blob invisible until its commit, then serves it whole', async () => {
    const body = randomBytes(300_000);
    const staged = await store.stage('acct/archives/one', chunked(body), { size: body.length });
    await expect(store.get('acct/archives/one')).rejects.toThrow();
    expect(await store.list('acct/')).toEqual([]);
    await staged.commit();
    await staged.commit();
    expect((await bytesOf(await store.get('acct/archives/one'))).equals(body)).toBe(true);
    expect(await store.list('acct/')).toEqual(['acct/archives/one']);
    expect(await leftovers()).toBe(0);
  });

  it('stores an empty blob and a hot one', async () => {
    await (await store.stage('acct/empty', Readable.from([Buffer.alloc(0)]), { size: 0 })).commit();
    await (await store.stage('acct/jobs/out', Readable.from([Buffer.from('hot')]), { size: 3, hot: true })).commit();
    expect((await bytesOf(await store.get('acct/empty'))).length).toBe(0);
    expect((await bytesOf(await store.get('acct/jobs/out'))).toString()).toBe('hot');
    expect(await store.restoreStatus('acct/jobs/out')).toBe('restored');
  });

  it.each([
    ['fewer', 999],
    ['more', 1001],
  ])('refuses a body with %s bytes than its size, and leaves nothing', async (_, sent) => {
    await expect(store.stage('acct/archives/short', chunked(randomBytes(sent), 100), { size: 1000 })).rejects.toThrow();
    await expect(store.get('acct/archives/short')).rejects.toThrow();
    expect(await store.list('acct/')).toEqual([]);
    expect(await leftovers()).toBe(0);
  });

  it('rejects with the body stream’s own error, and leaves nothing', async () => {
    const error = new Error('the client went away');
    await expect(store.stage('acct/archives/aborted', failing(randomBytes(100_000), error), { size: 200_000 })).rejects.toBe(error);
    await expect(store.get('acct/archives/aborted')).rejects.toThrow();
    expect(await store.list('acct/')).toEqual([]);
    expect(await leftovers()).toBe(0);
  });

  it('discards a staged blob, idempotently, leaving nothing', async () => {
    const staged = await store.stage('acct/archives/discarded', chunked(randomBytes(1000)), { size: 1000 });
    await staged.discard();
    await staged.discard();
    await expect(store.get('acct/archives/discarded')).rejects.toThrow();
    expect(await store.list('acct/')).toEqual([]);
    expect(await leftovers()).toBe(0);
  });

  it('serves inclusive byte ranges', async () => {
    const body = randomBytes(3 * 1024 * 1024 + 17);
    await (await store.stage('acct/archives/ranges', chunked(body), { size: body.length })).commit();
    for (const [start, end] of [
      [0, 0],
      [0, 1024 * 1024 - 1],
      [1024 * 1024, 2 * 1024 * 1024 + 5],
      [body.length - 1, body.length - 1],
      [17, body.length - 1],
    ]) {
      expect((await bytesOf(await store.get('acct/archives/ranges', { start, end }))).equals(body.subarray(start, end + 1))).toBe(true);
    }
  });

  it('rejects a read of a key that holds nothing', async () => {
    await expect(store.get('acct/archives/none')).rejects.toThrow();
  });

  it('lists by prefix in key order, and deletes one or many (absent keys too)', async () => {
    const keys = ['a/x/1', 'a/x/2', 'a/x', 'a/y/1', 'a/xy', 'b/x/1'];
    for (const key of keys) await (await store.stage(key, Readable.from([Buffer.from(key)]), { size: key.length })).commit();
    expect(await store.list('a/x/')).toEqual(['a/x/1', 'a/x/2']);
    expect(await store.list('a/x')).toEqual(['a/x', 'a/x/1', 'a/x/2', 'a/xy']);
    expect(await store.list('a/')).toEqual(['a/x', 'a/x/1', 'a/x/2', 'a/xy', 'a/y/1']);
    expect((await bytesOf(await store.get('a/x'))).toString()).toBe('a/x');
    await store.delete('a/x/1');
    await store.delete('a/x/1');
    await store.deleteMany(['a/x/2', 'a/y/1', 'a/none']);
    expect(await store.list('a/')).toEqual(['a/x', 'a/xy']);
    expect((await bytesOf(await store.get('a/x'))).toString()).toBe('a/x');
  });

  it('keeps keys with dots, spaces and other characters apart, each to itself', async () => {
    const keys = ['acct/../escape', 'acct/./dot', 'acct/sp ace/%2e%2e', 'acct/..', 'acct/tab\tnul'];
    for (const key of keys) await (await store.stage(key, Readable.from([Buffer.from(key)]), { size: Buffer.byteLength(key) })).commit();
    for (const key of keys) expect((await bytesOf(await store.get(key))).toString()).toBe(key);
    expect(await store.list('acct/')).toEqual([...keys].sort());
    expect(await store.list('escape')).toEqual([]);
  });

  it('keeps one whole blob when the same key is staged and committed twice', async () => {
    const first = randomBytes(200_000);
    const second = randomBytes(200_000);
    const [a, b] = await Promise.all([
      store.stage('acct/archives/twice', chunked(first), { size: first.length }),
      store.stage('acct/archives/twice', chunked(second), { size: second.length }),
    ]);
    await Promise.all([a.commit(), b.commit()]);
    const stored = await bytesOf(await store.get('acct/archives/twice'));
    expect(stored.equals(first) || stored.equals(second)).toBe(true);
  });
}
