import { parseJsonObject } from './json-body';
import { invalidParameter, limitExceeded, missingParameter } from './errors';
import { CONFLICT, retryOnConflict } from './compare-and-set';
import { vaultArn } from './names';
import { requireVault } from './vaults';
import type { Services } from './services';

/** Developer Guide, "Tag Restrictions": at most 50 tags a vault; keys 1-128 characters, values 0-255. */
export const MAX_TAGS_PER_VAULT = 50;
const MAX_KEY_LENGTH = 128;
const MAX_VALUE_LENGTH = 255;
/** Unicode letters, digits, spaces and _ . / = + - @ (the guide's character set for keys and values). */
const TAG_CHARACTERS = /^[\p{L}\p{M}\p{N} _./=+\-@]*$/u;

/** Length in Unicode characters, as the guide counts, not UTF-16 code units. */
const length = (text: string) => [...text].length;

function validateTag(key: string, value: unknown): string {
  if (length(key) < 1 || length(key) > MAX_KEY_LENGTH)
    throw invalidParameter(`Invalid tag key: "${key}". A tag key must be 1 to ${MAX_KEY_LENGTH} characters long.`);
  if (key.toLowerCase().startsWith('aws:'))
    throw invalidParameter(`Invalid tag key: "${key}". Tag keys starting with "aws:" are reserved for AWS.`);
  if (!TAG_CHARACTERS.test(key)) {
    throw invalidParameter(
      `Invalid tag key: "${key}". Tag keys may contain Unicode letters, digits, spaces and the characters _ . / = + - @.`,
    );
  }
  if (typeof value !== 'string') throw invalidParameter(`Invalid value for tag "${key}": it must be a string.`);
  if (length(value) > MAX_VALUE_LENGTH)
    throw invalidParameter(`Invalid value for tag "${key}": a tag value must be at most ${MAX_VALUE_LENGTH} characters long.`);
  if (!TAG_CHARACTERS.test(value)) {
    throw invalidParameter(
      `Invalid value for tag "${key}": tag values may contain Unicode letters, digits, spaces and the characters _ . / = + - @.`,
    );
  }
  return value;
}

/** Reads the vault's tags, derives the next ones, and writes them only if nobody changed them meanwhile. */
async function updateTags(
  svc: Services,
  accountId: string,
  vaultName: string,
  change: (current: Record<string, string>) => Record<string, string>,
): Promise<void> {
  await retryOnConflict(
    async () => {
      const vault = await requireVault(svc, accountId, vaultName);
      const current = vault.tags ?? {};
      const next = change(current);
      if (JSON.stringify(next) === JSON.stringify(current)) return undefined;
      const value = Object.keys(next).length > 0 ? next : undefined;
      return (await svc.metadata.setVaultSetting(accountId, vaultName, 'tags', value, vault.tags ?? null)) ? undefined : CONFLICT;
    },
    `The tags of ${vaultArn(svc.region, accountId, vaultName)} are being changed concurrently; try again.`,
  );
}

export async function addTagsToVault(svc: Services, accountId: string, vaultName: string, body: Buffer): Promise<void> {
  const tags = parseJsonObject(body).Tags;
  if (tags === undefined || tags === null) throw missingParameter('Required parameter missing: Tags');
  if (typeof tags !== 'object' || Array.isArray(tags)) throw invalidParameter('Invalid Tags: it must be a map of tag keys to tag values.');
  const added = Object.entries(tags as Record<string, unknown>).map(([key, value]) => [key, validateTag(key, value)] as const);
  if (added.length === 0) throw invalidParameter('Invalid Tags: give at least one tag.');
  await updateTags(svc, accountId, vaultName, (current) => {
    const next = { ...current, ...Object.fromEntries(added) };
    if (Object.keys(next).length > MAX_TAGS_PER_VAULT) {
      throw limitExceeded(
        `The maximum number of tags for ${vaultArn(svc.region, accountId, vaultName)} (${MAX_TAGS_PER_VAULT}) would be exceeded.`,
      );
    }
    return next;
  });
}

/** Removing a key the vault does not have is not an error. */
export async function removeTagsFromVault(svc: Services, accountId: string, vaultName: string, body: Buffer): Promise<void> {
  const keys = parseJsonObject(body).TagKeys;
  if (keys === undefined || keys === null) throw missingParameter('Required parameter missing: TagKeys');
  if (!Array.isArray(keys) || keys.some((key) => typeof key !== 'string'))
    throw invalidParameter('Invalid TagKeys: it must be a list of tag keys.');
  const removed = new Set(keys as string[]);
  await updateTags(svc, accountId, vaultName, (current) =>
    Object.fromEntries(Object.entries(current).filter(([key]) => !removed.has(key))),
  );
}

export async function listTagsForVault(svc: Services, accountId: string, vaultName: string): Promise<Record<string, string>> {
  return (await requireVault(svc, accountId, vaultName)).tags ?? {};
}
