import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { StorageClass } from '../config';
import type { BlobStore } from './ports';

/** Archive bytes as S3 objects in the deployment's storage class. */
export class S3BlobStore implements BlobStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly storageClass: StorageClass,
  ) {}

  async put(key: string, body: Buffer, sha256: Buffer): Promise<void> {
    // S3 checks the body against ChecksumSHA256 and refuses it (BadDigest) on a mismatch.
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentLength: body.length,
        ChecksumSHA256: sha256.toString('base64'),
        StorageClass: this.storageClass,
      }),
    );
  }

  async get(key: string, range?: { start: number; end: number }): Promise<Buffer> {
    const out = await this.s3.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range ? `bytes=${range.start}-${range.end}` : undefined }),
    );
    if (!out.Body) throw new Error(`S3 returned no body for ${key}`);
    return Buffer.from(await out.Body.transformToByteArray());
  }

  async delete(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}
