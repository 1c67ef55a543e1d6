import type { InventoryEntry, InventoryRetrieval } from './ports';

export const CSV_HEADER = 'ArchiveId,ArchiveDescription,CreationDate,Size,SHA256TreeHash';

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function csvRow(entry: InventoryEntry): string {
  return [entry.ArchiveId, csvField(entry.ArchiveDescription), entry.CreationDate, String(entry.Size), entry.SHA256TreeHash].join(',');
}

/**
 * Formats an inventory snapshot as Glacier's JSON or CSV, applying the retrieval's date
 * range (StartDate inclusive, EndDate exclusive), Marker (start after that archive) and
 * Limit. When Limit cuts the list short, `nextMarker` is the last archive listed.
 */
export async function formatInventory(
  head: { vaultArn: string; inventoryDate: string; retrieval: InventoryRetrieval },
  chunks: () => AsyncIterable<InventoryEntry[]>,
): Promise<{ body: Buffer; nextMarker?: string }> {
  const { retrieval } = head;
  const start = retrieval.startDate ? Date.parse(retrieval.startDate) : -Infinity;
  const end = retrieval.endDate ? Date.parse(retrieval.endDate) : Infinity;
  const limit = retrieval.limit ?? Infinity;
  const json = retrieval.format === 'JSON';
  const pieces: string[] = json
    ? [`{"VaultARN":${JSON.stringify(head.vaultArn)},"InventoryDate":${JSON.stringify(head.inventoryDate)},"ArchiveList":[`]
    : [`${CSV_HEADER}\n`];
  let skipping = retrieval.marker !== undefined;
  let count = 0;
  let nextMarker: string | undefined;
  let last: string | undefined;
  outer: for await (const chunk of chunks()) {
    for (const entry of chunk) {
      if (skipping) {
        skipping = entry.ArchiveId !== retrieval.marker;
        continue;
      }
      const created = Date.parse(entry.CreationDate);
      if (created < start || created >= end) continue;
      if (count === limit) {
        nextMarker = last;
        break outer;
      }
      pieces.push(json ? `${count > 0 ? ',' : ''}${JSON.stringify(entry)}` : `${csvRow(entry)}\n`);
      count += 1;
      last = entry.ArchiveId;
    }
  }
  if (json) pieces.push(']}');
  return { body: Buffer.from(pieces.join('')), nextMarker };
}
