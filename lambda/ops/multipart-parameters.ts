// The headers of InitiateMultipartUpload and CompleteMultipartUpload, read and checked.
import { invalidParameter, missingHeader } from '../domain/errors';
import { MAX_PART_SIZE, MIN_PART_SIZE } from '../domain/multipart';
import { MiB } from '../domain/checksums';

/** The largest part size this endpoint takes in one request body. */
export function maxPartSizeFor(maxBodyBytes: number): number {
  if (maxBodyBytes < MIN_PART_SIZE) return 0;
  let size = MIN_PART_SIZE;
  while (size * 2 <= Math.min(maxBodyBytes, MAX_PART_SIZE)) size *= 2;
  return size;
}

/** x-amz-part-size: 1 MiB × 2^n up to 4 GiB, and no more than the endpoint's body limit. */
export function parsePartSize(raw: string | undefined, maxBodyBytes: number): number {
  const size = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : NaN;
  const powerOfTwoMiB = size >= MIN_PART_SIZE && size <= MAX_PART_SIZE && size % MiB === 0 && ((size / MiB) & (size / MiB - 1)) === 0;
  if (!powerOfTwoMiB) {
    throw invalidParameter(
      `Invalid part size: ${raw ?? 'null'}. Part size must not be null, must be a power of two and be between 1048576 and 4294967296 bytes.`,
    );
  }
  const max = maxPartSizeFor(maxBodyBytes);
  if (max === 0)
    throw invalidParameter(
      `This endpoint accepts request bodies of at most ${maxBodyBytes} bytes, too few for any part: it accepts no multipart uploads.`,
    );
  if (size > max) {
    throw invalidParameter(
      `Invalid part size: ${size}. This endpoint accepts request bodies of at most ${maxBodyBytes} bytes, so its largest part size is ${max} bytes.`,
    );
  }
  return size;
}

export function parseArchiveSize(raw: string | undefined): number {
  if (raw === undefined) throw missingHeader('x-amz-archive-size');
  if (!/^\d+$/.test(raw)) throw invalidParameter(`Invalid x-amz-archive-size: ${raw}`);
  return Number(raw);
}
