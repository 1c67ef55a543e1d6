import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  RestoreObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Readable, Transform, pipeline } from 'node:stream';
import { Upload } from '@aws-sdk/lib-storage';
import type { StorageClass } from '../config';
import type { BlobStore, RestoreState, RestoreStatus, StagedBlob, Tier } from '../domain/ports';

/**
 * Up to this size a body goes in one streamed PutObject, which S3 verifies end to end against
 * the signed SHA-256. Above it, a multipart upload: parts in parallel (faster to S3 than one
 * connection) and each retried on its own, at the cost of holding a few parts in memory.
 */
export const SINGLE_PUT_MAX_BYTES = 64 * 1024 * 1024;
const UPLOAD_PART_BYTES = 8 * 1024 * 1024;
const UPLOAD_QUEUE = 4;

/** Passes `body` on, failing if it carries other than `size` bytes (or fails itself). */
function exactly(body: Readable, size: number): Readable {
  let count = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      count += chunk.length;
      if (count > size) callback(new Error(`The body is longer than the ${size} bytes expected.`));
      else callback(null, chunk);
    },
    flush(callback) {
      callback(count === size ? null : new Error(`The body ended after ${count} of the ${size} bytes expected.`));
    },
  });
  pipeline(body, counter, () => undefined);
  return counter;
}

/** Storage classes whose objects must be restored before they can be read. */
const ARCHIVE_CLASSES = new Set(['GLACIER', 'DEEP_ARCHIVE']);

/**
 * HeadObject's answer about a restore: its `x-amz-restore` header is `ongoing-request="true"`
 * while S3 restores, `ongoing-request="false", expiry-date=...` once the copy is readable, and
 * absent when no restore was asked for or the copy expired.
 */
export function restoreStatusOf(head: { StorageClass?: string; Restore?: string }): RestoreStatus {
  if (!ARCHIVE_CLASSES.has(head.StorageClass ?? 'STANDARD')) return 'restored';
  if (head.Restore === undefined) return 'none';
  return /ongoing-request="true"/.test(head.Restore) ? 'in-progress' : 'restored';
}

/** Archive bytes as S3 objects in the deployment's storage class. */
export class S3BlobStore implements BlobStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly storageClass: StorageClass,
    /** Bodies up to this size go in one PutObject, verified by S3 against their SHA-256; larger ones as a multipart upload. */
    private readonly singlePutMaxBytes = SINGLE_PUT_MAX_BYTES,
  ) {}

  async stage(key: string, body: Readable, options: { size: number; sha256?: Buffer; hot?: boolean }): Promise<StagedBlob> {
    const counted = exactly(body, options.size);
    const storageClass = options.hot ? 'STANDARD' : this.storageClass;
    // The first error the body or the count raised: what the caller is told, rather than the abort it causes.
    let bodyError: unknown;
    counted.once('error', (error) => (bodyError ??= error));
    try {
      if (options.size <= this.singlePutMaxBytes) await this.putObject(key, counted, options.size, storageClass, options.sha256);
      else await this.upload(key, counted, storageClass);
    } catch (error) {
      // A body that failed after its last byte went out may have become an object all the same.
      await this.delete(key).catch(() => undefined);
      throw bodyError ?? error;
    }
    return { commit: async () => undefined, discard: () => this.delete(key) };
  }

  /**
   * One request, streamed: S3 checks the whole body against ChecksumSHA256 and refuses it
   * (BadDigest) on a mismatch. A body that fails mid-way aborts the request, which S3 drops.
   */
  private async putObject(key: string, body: Readable, size: number, storageClass: StorageClass | 'STANDARD', sha256?: Buffer) {
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: key,
      Body: body,
      ContentLength: size,
      ...(sha256 && { ChecksumSHA256: sha256.toString('base64') }),
      StorageClass: storageClass,
    });
    if (sha256) {
      // The hash is known: handing it to the signer spares it hashing the body (which it could not do for a stream).
      command.middlewareStack.add(
        (next) => async (args) => {
          const request = args.request as { headers?: Record<string, string> };
          if (request.headers) request.headers['x-amz-content-sha256'] = sha256.toString('hex');
          return next(args);
        },
        { step: 'build', name: 'knownPayloadHash' },
      );
    }
    // The SDK pipes the body into the request, and a pipe does not pass errors on: abort it ourselves.
    const abort = new AbortController();
    body.once('error', () => abort.abort());
    await this.s3.send(command, { abortSignal: abort.signal });
  }

  /**
   * Large bodies go as a multipart upload, streamed a part at a time (at most `UPLOAD_QUEUE`
   * parts of `UPLOAD_PART_BYTES` in memory), each part retried on its own; on any failure the
   * multipart upload is aborted, so no part is left behind.
   */
  private async upload(key: string, body: Readable, storageClass: StorageClass | 'STANDARD') {
    const upload = new Upload({
      client: this.s3,
      params: { Bucket: this.bucket, Key: key, Body: body, StorageClass: storageClass },
      partSize: UPLOAD_PART_BYTES,
      queueSize: UPLOAD_QUEUE,
      leavePartsOnError: false,
    });
    // A body that fails fails the part being read, and done() then aborts the upload before it rejects.
    await upload.done();
  }

  async get(key: string, range?: { start: number; end: number }): Promise<Readable> {
    const out = await this.s3.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range ? `bytes=${range.start}-${range.end}` : undefined }),
    );
    if (!(out.Body instanceof Readable)) throw new Error(`S3 returned no body stream for ${key}`);
    // A server that ignores a range (s3rver does, for one that ends at byte 0) would have the
    // caller send other bytes than it announced: fail instead.
    const expected = range && range.end - range.start + 1;
    if (expected !== undefined && out.ContentLength !== expected) {
      out.Body.destroy();
      throw new Error(`S3 answered ${out.ContentLength} bytes for the ${expected}-byte range ${range?.start}-${range?.end} of ${key}`);
    }
    return out.Body;
  }

  async restore(key: string, tier: Tier, days: number): Promise<RestoreState> {
    try {
      const out = await this.s3.send(
        new RestoreObjectCommand({ Bucket: this.bucket, Key: key, RestoreRequest: { Days: days, GlacierJobParameters: { Tier: tier } } }),
      );
      // 202: restore started; 200: a restored copy is already there (its expiry is extended).
      return out.$metadata.httpStatusCode === 200 ? 'restored' : 'started';
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'RestoreAlreadyInProgress') return 'in-progress';
      // An object in an instant storage class needs no restore.
      if (name === 'InvalidObjectState') return 'restored';
      throw error;
    }
  }

  async restoreStatus(key: string): Promise<RestoreStatus> {
    return restoreStatusOf(await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })));
  }

  async delete(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const object of out.Contents ?? []) if (object.Key) keys.push(object.Key);
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    // S3 lists in key order already; embedded S3 servers may not (s3rver lists "a/x/1" before "a/x").
    return keys.sort();
  }

  /** One request per key, a few at a time: works alike on S3 and on embedded S3 servers. */
  async deleteMany(keys: string[]): Promise<void> {
    const queue = [...keys];
    const worker = async () => {
      for (let key = queue.pop(); key !== undefined; key = queue.pop()) await this.delete(key);
    };
    await Promise.all(Array.from({ length: Math.min(16, queue.length) }, worker));
  }
}
