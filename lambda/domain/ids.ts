import { randomBytes } from 'node:crypto';

/**
 * Opaque archive ID: 138 URL-safe characters, like Glacier's, random for every upload.
 * Never starts with '-', which a command line would take for an option.
 */
export function newArchiveId(): string {
  for (;;) {
    const id = randomBytes(104).toString('base64url').slice(0, 138);
    if (!id.startsWith('-')) return id;
  }
}

/** Multipart upload ID: 92 URL-safe characters, not starting with '-'. */
export function newUploadId(): string {
  for (;;) {
    const id = randomBytes(69).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/**
 * Job ID: 92 URL-safe characters that sort by creation time (ListJobs lists jobs in
 * creation order): the creation time in hex, then random characters.
 */
export function newJobId(created: Date): string {
  return created.getTime().toString(16).padStart(12, '0') + randomBytes(60).toString('base64url');
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 24 letters and digits, the shape of Glacier's vault lock and capacity IDs. */
export function newAlphanumericId(): string {
  return Array.from(randomBytes(24), (byte) => ALPHANUMERIC[byte % ALPHANUMERIC.length]).join('');
}

export function randomSuffix(): string {
  return randomBytes(6).toString('hex');
}

export function newRequestId(): string {
  return randomBytes(30).toString('base64url');
}

export function newInventoryId(date: Date): string {
  return `${date.toISOString()}-${randomBytes(4).toString('hex')}`;
}
