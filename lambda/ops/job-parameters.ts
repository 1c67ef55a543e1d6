// What InitiateJob's body, ListJobs' filters and GetJobOutput's Range header say, read and checked.
import { GlacierError, invalidParameter, missingParameter } from '../domain/errors';
import { parseJsonObject } from '../domain/json-body';
import type { JobFilter, JobRequest } from '../domain/jobs';
import type { InventoryRetrieval, JobStatus, Tier } from '../domain/ports';

/** What InitiateJob's body may hold (the JobParameters shape). */
interface JobParameters {
  Type?: unknown;
  ArchiveId?: unknown;
  Description?: unknown;
  SNSTopic?: unknown;
  RetrievalByteRange?: unknown;
  Tier?: unknown;
  Format?: unknown;
  InventoryRetrievalParameters?: { StartDate?: unknown; EndDate?: unknown; Limit?: unknown; Marker?: unknown };
}

const TIERS: readonly Tier[] = ['Expedited', 'Standard', 'Bulk'];
const STATUSES: readonly JobStatus[] = ['InProgress', 'Succeeded', 'Failed'];

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidParameter(`Invalid ${name}: it must be a string.`);
  return value;
}

function parseTier(value: unknown): Tier {
  const tier = optionalString(value, 'Tier') ?? 'Standard';
  const known = TIERS.find((candidate) => candidate === tier);
  if (!known) throw invalidParameter(`Invalid Tier: ${tier}. Valid tiers are ${TIERS.join(', ')}.`);
  return known;
}

function isoDate(value: unknown, name: string): string | undefined {
  const text = optionalString(value, name);
  if (text === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(text) || Number.isNaN(Date.parse(text))) {
    throw invalidParameter(`Invalid ${name}: ${text}. Use an ISO 8601 date in UTC, such as 2013-03-20T17:03:43Z.`);
  }
  return text;
}

function parseInventoryParameters(params: JobParameters): InventoryRetrieval {
  const format = optionalString(params.Format, 'Format') ?? 'JSON';
  if (format !== 'JSON' && format !== 'CSV') throw invalidParameter(`Invalid Format: ${format}. Valid formats are JSON and CSV.`);
  const range = params.InventoryRetrievalParameters ?? {};
  if (typeof range !== 'object' || range === null) throw invalidParameter('Invalid InventoryRetrievalParameters: it must be an object.');
  const inventory: InventoryRetrieval = { format };
  const startDate = isoDate(range.StartDate, 'StartDate');
  const endDate = isoDate(range.EndDate, 'EndDate');
  if (startDate && endDate && Date.parse(startDate) >= Date.parse(endDate)) {
    throw invalidParameter(`Invalid InventoryRetrievalParameters: StartDate ${startDate} must be earlier than EndDate ${endDate}.`);
  }
  const limit = optionalString(range.Limit, 'Limit');
  if (limit !== undefined && (!/^\d+$/.test(limit) || Number(limit) < 1))
    throw invalidParameter(`Invalid Limit: ${limit}. It must be a whole number of at least 1.`);
  const marker = optionalString(range.Marker, 'Marker');
  if (startDate) inventory.startDate = startDate;
  if (endDate) inventory.endDate = endDate;
  if (limit) inventory.limit = Number(limit);
  if (marker) inventory.marker = marker;
  return inventory;
}

export function parseJobRequest(body: Buffer): JobRequest {
  const params: JobParameters = parseJsonObject(body);
  const type = optionalString(params.Type, 'Type');
  if (type === undefined) throw missingParameter('Required parameter missing: Type');
  if (type === 'select') throw new GlacierError('NotImplementedException', 'coldvault does not support select jobs yet.');
  if (type !== 'archive-retrieval' && type !== 'inventory-retrieval') {
    throw invalidParameter(`Invalid job type: ${type}. Valid types are archive-retrieval, inventory-retrieval and select.`);
  }
  const description = optionalString(params.Description, 'Description') ?? '';
  const snsTopic = optionalString(params.SNSTopic, 'SNSTopic');
  const tier = parseTier(params.Tier);
  const common = { description, tier, ...(snsTopic !== undefined && { snsTopic }) };
  if (type === 'archive-retrieval') {
    const archiveId = optionalString(params.ArchiveId, 'ArchiveId');
    if (!archiveId) throw missingParameter('Required parameter missing: ArchiveId');
    const byteRange = optionalString(params.RetrievalByteRange, 'RetrievalByteRange');
    return { ...common, type, archiveId, ...(byteRange !== undefined && { byteRange }) };
  }
  if (params.ArchiveId !== undefined) throw invalidParameter('ArchiveId is not allowed on an inventory-retrieval job.');
  if (params.RetrievalByteRange !== undefined) throw invalidParameter('RetrievalByteRange is not allowed on an inventory-retrieval job.');
  return { ...common, type, inventory: parseInventoryParameters(params) };
}

/** ListJobs' statuscode and completed filters. */
export function parseJobFilter(query: Record<string, string>): JobFilter {
  const filter: JobFilter = {};
  if (query.statuscode !== undefined) {
    const status = STATUSES.find((candidate) => candidate === query.statuscode);
    if (!status) throw invalidParameter(`Invalid statuscode: ${query.statuscode}. Valid values are InProgress, Succeeded and Failed.`);
    filter.status = status;
  }
  if (query.completed !== undefined) {
    if (query.completed !== 'true' && query.completed !== 'false')
      throw invalidParameter(`Invalid completed: ${query.completed}. Use true or false.`);
    filter.completed = query.completed === 'true';
  }
  return filter;
}

/** A Range header (bytes=first-last, bytes=first-, bytes=-suffix) over an output of `total` bytes. */
export function parseRangeHeader(raw: string, total: number): { start: number; end: number } {
  const match = /^bytes=(\d*)-(\d*)$/.exec(raw.trim());
  let start = NaN;
  let end = NaN;
  if (match && match[1] !== '') {
    start = Number(match[1]);
    end = match[2] === '' ? total - 1 : Number(match[2]);
  } else if (match && match[2] !== '') {
    start = Math.max(0, total - Number(match[2]));
    end = total - 1;
  }
  if (Number.isNaN(start) || end < start || end >= total) {
    throw invalidParameter(`Invalid Range: ${raw}. The job output is ${total} bytes: request a range within bytes=0-${total - 1}.`);
  }
  return { start, end };
}
