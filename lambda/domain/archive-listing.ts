// coldvault's live archive listing (an extension: Glacier itself only lists archives through an
// inventory job). Newest first, from the live metadata, filtered by a description prefix.
import { invalidParameter } from './errors';
import type { ArchiveRecord } from './ports';
import type { Services } from './services';
import { requireVault } from './vaults';

export interface ArchiveListingQuery {
  limit: number;
  /** The marker of the previous page: the last archive it held. */
  marker?: string;
  descriptionPrefix?: string;
}

export interface ArchiveListing {
  archives: ArchiveRecord[];
  /** Present when more archives may follow. */
  marker?: string;
  /** Every archive the vault holds now, whatever the filter. */
  live: { numberOfArchives: number; sizeInBytes: number };
}

type Position = [creationDate: string, archiveId: string];

/** Newest first; archives created in the same second by ID, so that the order is total. */
function before(a: Position, b: Position): boolean {
  return a[0] !== b[0] ? a[0] > b[0] : a[1] > b[1];
}

const position = (archive: ArchiveRecord): Position => [archive.creationDate, archive.archiveId];

function encodeMarker(archive: ArchiveRecord): string {
  return Buffer.from(JSON.stringify(position(archive))).toString('base64url');
}

function decodeMarker(marker: string): Position {
  try {
    const value: unknown = JSON.parse(Buffer.from(marker, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && value.every((part) => typeof part === 'string')) return value as Position;
  } catch {
    // Refused below.
  }
  throw invalidParameter(`Invalid marker: ${marker}. Pass the Marker of the previous page unchanged.`);
}

/**
 * One page of a vault's live archives. The store keeps archives in ID order, so each page reads
 * the whole vault once, keeping only the `limit` newest after the marker: time grows with the
 * vault's archive count, memory only with `limit`.
 */
export async function listLiveArchives(
  svc: Services,
  accountId: string,
  vaultName: string,
  query: ArchiveListingQuery,
): Promise<ArchiveListing> {
  await requireVault(svc, accountId, vaultName);
  const after = query.marker === undefined ? undefined : decodeMarker(query.marker);
  const prefix = query.descriptionPrefix ?? '';
  const live = { numberOfArchives: 0, sizeInBytes: 0 };
  let kept: ArchiveRecord[] = [];
  let more = false;
  const trim = () => {
    kept.sort((a, b) => (before(position(a), position(b)) ? -1 : 1));
    if (kept.length > query.limit) more = true;
    kept = kept.slice(0, query.limit);
  };
  let cursor: string | undefined;
  do {
    const page = await svc.metadata.listArchives(accountId, vaultName, cursor);
    for (const archive of page.items) {
      if (archive.deletedDate !== undefined) continue;
      live.numberOfArchives += 1;
      live.sizeInBytes += archive.size;
      if (!archive.description.startsWith(prefix)) continue;
      if (after && !before(after, position(archive))) continue;
      kept.push(archive);
      if (kept.length >= 2 * query.limit + 1) trim();
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
  trim();
  const last = kept[kept.length - 1];
  return { archives: kept, live, ...(more && last ? { marker: encodeMarker(last) } : {}) };
}
