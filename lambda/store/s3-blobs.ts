import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  RestoreObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { StorageClass } from '../config';
import type { BufferedBlobStore, RestoreState, RestoreStatus, Tier } from '../domain/ports';

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
export class S3BlobStore implements BufferedBlobStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly storageClass: StorageClass,
  ) {}

  async put(key: string, body: Buffer, sha256: Buffer, options: { hot?: boolean } = {}): Promise<void> {
    // S3 checks the body against ChecksumSHA256 and refuses it (BadDigest) on a mismatch.
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: key,
      Body: body,
      ContentLength: body.length,
      ChecksumSHA256: sha256.toString('base64'),
      StorageClass: options.hot ? 'STANDARD' : this.storageClass,
    });
    // The hash is known: handing it to the signer spares it hashing the body once more.
    command.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers?: Record<string, string> };
        if (request.headers) request.headers['x-amz-content-sha256'] = sha256.toString('hex');
        return next(args);
      },
      { step: 'build', name: 'knownPayloadHash' },
    );
    await this.s3.send(command);
  }

  async get(key: string, range?: { start: number; end: number }): Promise<Buffer> {
    const out = await this.s3.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range ? `bytes=${range.start}-${range.end}` : undefined }),
    );
    if (!out.Body) throw new Error(`S3 returned no body for ${key}`);
    return Buffer.from(await out.Body.transformToByteArray());
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
    return keys;
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
