import { GlacierError, invalidParameter, missingParameter, notFound } from './errors';
import type { Readable } from 'node:stream';
import { MiB } from './checksums';
import { putBytes } from './blobs';
import { archiveStream, checkedLength, piecesOf, rangeTreeHash, type ArchiveRef } from './archive-reads';
import { newJobId, randomSuffix } from './ids';
import { failpoint } from './failpoints';
import { formatInventory } from './inventory-output';
import { parseJsonObject } from './json-body';
import { validateDescription, vaultArn, vaultPath } from './names';
import { belongsTo } from './archives';
import { mapConcurrently } from './concurrency';
import { enforceRetrievalPolicy } from './retrieval-policy';
import { requireVault } from './vaults';
import type { Services } from './services';
import type { ArchiveRecord, InventoryRetrieval, JobRecord, JobStatus, Tier, VaultRecord } from './ports';

/** Job output stays downloadable, and the job describable, this long after completion. */
export const JOB_OUTPUT_LIFETIME_MS = 24 * 60 * 60 * 1000;
/** Days S3 keeps a restored copy: the output's lifetime plus the time a job may take. */
export const RESTORE_DAYS = 2;
/** A job asks for at most this many restores at once. */
const READ_CONCURRENCY = 8;

const TIERS: readonly Tier[] = ['Expedited', 'Standard', 'Bulk'];
/**
 * Restore timing: how long after it starts, and then how often, the sweep asks S3 itself
 * about a job's restores (S3 restores Expedited in minutes, the others in hours).
 */
const RESTORE_RECHECK_MS: Record<Tier, number> = { Expedited: 15 * 60_000, Standard: 60 * 60_000, Bulk: 60 * 60_000 };
export const JOB_EVENTS = { ArchiveRetrieval: 'ArchiveRetrievalCompleted', InventoryRetrieval: 'InventoryRetrievalCompleted' } as const;

export function jobLocation(accountId: string, vaultName: string, jobId: string): string {
  return `${vaultPath(accountId, vaultName)}/jobs/${jobId}`;
}

function jobNotFound(jobId: string) {
  return notFound(`The job ID was not found: ${jobId}`);
}

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
  SelectParameters?: unknown;
  OutputLocation?: unknown;
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidParameter(`Invalid ${name}: it must be a string.`);
  return value;
}

function parseTier(value: unknown): Tier {
  const tier = optionalString(value, 'Tier') ?? 'Standard';
  if (!(TIERS as readonly string[]).includes(tier)) throw invalidParameter(`Invalid Tier: ${tier}. Valid tiers are ${TIERS.join(', ')}.`);
  return tier as Tier;
}

export function validateSnsTopic(topic: string): void {
  if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(topic)) {
    throw invalidParameter(`Invalid SNSTopic: ${topic}. It must be the ARN of an SNS topic.`);
  }
}

function parseByteRange(raw: string, archive: ArchiveRecord): { start: number; end: number } {
  const match = /^(\d+)-(\d+)$/.exec(raw);
  const [start, end] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
  const last = archive.size - 1;
  const aligned = start % MiB === 0 && ((end + 1) % MiB === 0 || end === last);
  if (!match || end < start || end > last || !aligned) {
    throw invalidParameter(
      `Invalid RetrievalByteRange: ${raw}. It must be "StartByte-EndByte" within the archive (0-${last}), start at a multiple of 1 MiB, ` +
        `and end one byte before a multiple of 1 MiB or at the archive's last byte.`,
    );
  }
  return { start, end };
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

/**
 * Glacier's "tree-hash aligned": the range's own tree hash is a node of the whole archive's
 * tree, that is it starts at a multiple of 2^n MiB and spans 2^n MiB (or up to the end).
 */
export function isTreeHashAligned(start: number, end: number, size: number): boolean {
  if (start % MiB !== 0) return false;
  for (let span = MiB; span <= 2 * Math.max(size, MiB); span *= 2) {
    if (start % span !== 0) return false;
    if (end + 1 === Math.min(start + span, size)) return true;
  }
  return false;
}

/** What a job reads of its archive. */
function archiveOf(job: JobRecord): ArchiveRef {
  const archive = job.archive as NonNullable<JobRecord['archive']>;
  return { accountId: job.accountId, vaultName: job.vaultName, ...archive };
}

export async function initiateJob(
  svc: Services,
  accountId: string,
  vaultName: string,
  body: Buffer,
): Promise<{ jobId: string; location: string }> {
  const params = parseJsonObject(body) as JobParameters;
  const type = optionalString(params.Type, 'Type');
  if (type === undefined) throw missingParameter('Required parameter missing: Type');
  if (type === 'select') throw new GlacierError('NotImplementedException', 'coldvault does not support select jobs yet.');
  if (type !== 'archive-retrieval' && type !== 'inventory-retrieval') {
    throw invalidParameter(`Invalid job type: ${type}. Valid types are archive-retrieval, inventory-retrieval and select.`);
  }
  const description = optionalString(params.Description, 'Description') ?? '';
  validateDescription(description, 'job description');
  const snsTopic = optionalString(params.SNSTopic, 'SNSTopic');
  if (snsTopic !== undefined) validateSnsTopic(snsTopic);
  const tier = parseTier(params.Tier);
  const vault = await requireVault(svc, accountId, vaultName);
  const now = svc.now();
  const job: JobRecord = {
    accountId,
    vaultName,
    jobId: newJobId(now),
    action: type === 'archive-retrieval' ? 'ArchiveRetrieval' : 'InventoryRetrieval',
    description,
    tier,
    creationDate: now.toISOString(),
    status: 'InProgress',
  };
  if (snsTopic) job.snsTopic = snsTopic;

  let restoreKeys: string[] = [];
  if (type === 'archive-retrieval') {
    const archiveId = optionalString(params.ArchiveId, 'ArchiveId');
    if (!archiveId) throw missingParameter('Required parameter missing: ArchiveId');
    const archive = await svc.metadata.getArchive(accountId, vaultName, archiveId);
    if (!archive || !belongsTo(archive, vault)) {
      throw notFound(`Archive not found for ARN: ${vaultArn(svc.region, accountId, vaultName)}/archives/${archiveId}`);
    }
    const rawRange = optionalString(params.RetrievalByteRange, 'RetrievalByteRange');
    job.range = rawRange === undefined ? { start: 0, end: archive.size - 1 } : parseByteRange(rawRange, archive);
    job.archive = {
      archiveId,
      size: archive.size,
      treeHash: archive.treeHash,
      layout: archive.layout,
      creationDate: archive.creationDate,
      description: archive.description,
    };
    if (archive.deletedDate) {
      Object.assign(job, failed(now, `The archive ${archiveId} was deleted before this job was started.`));
    } else {
      await enforceRetrievalPolicy(svc, accountId, tier, job.range.end - job.range.start + 1);
      if (svc.retrieval.kind === 'restore') {
        restoreKeys = await restoreKeysOf(svc, job);
        job.pendingRestores = restoreKeys.length;
        job.recheckAtMs = now.getTime() + RESTORE_RECHECK_MS[tier];
      }
    }
  } else {
    if (params.RetrievalByteRange !== undefined) throw invalidParameter('RetrievalByteRange is not allowed on an inventory-retrieval job.');
    job.inventory = parseInventoryParameters(params);
    if (!vault.inventory) {
      throw notFound(
        `Inventory not found for vault ${vaultArn(svc.region, accountId, vaultName)}: a vault's first inventory is taken within a day of its creation.`,
      );
    }
  }
  if (job.status === 'InProgress' && restoreKeys.length === 0) {
    job.readyAtMs = now.getTime() + (svc.retrieval.kind === 'delay' ? svc.retrieval.delaysMs[tier] : 0);
  }

  // The job is stored before its waits: a restore event that lands in between then finds no
  // wait (and the restore asked for next answers 'restored'), instead of spending a wait on a
  // job that is not there yet.
  if (job.status !== 'InProgress') setNotifyTopics(job, vault);
  await svc.jobs.createJob(job);
  if (restoreKeys.length > 0) await svc.jobs.addRestoreWaits(job, restoreKeys);
  if (job.status !== 'InProgress') await publishNotifications(svc, job);
  await requestRestores(svc, job, restoreKeys);
  return { jobId: job.jobId, location: jobLocation(accountId, vaultName, job.jobId) };
}

/** Asks S3 for the restores; an object already restored is released at once, as its event would. */
async function requestRestores(svc: Services, job: JobRecord, keys: string[]): Promise<void> {
  await mapConcurrently(keys, READ_CONCURRENCY, async (key) => {
    if ((await svc.blobs.restore(key, job.tier, RESTORE_DAYS)) === 'restored') await restoreCompleted(svc, key);
  });
}

async function restoreKeysOf(svc: Services, job: JobRecord): Promise<string[]> {
  const range = job.range as { start: number; end: number };
  return (await piecesOf(svc, archiveOf(job), range.start, range.end)).map((piece) => piece.key);
}

/**
 * The sweep's safety net for restore timing: a job whose restores S3 never reported (an event
 * lost, a RestoreObject call that failed after the job was stored, a crash between releasing a
 * wait and counting it) asks S3 itself. Restores never started are asked for again; when all
 * objects are readable the job completes, else it is looked at again later.
 */
async function recheckRestores(svc: Services, job: JobRecord): Promise<boolean> {
  const archive = await svc.metadata.getArchive(job.accountId, job.vaultName, (job.archive as NonNullable<JobRecord['archive']>).archiveId);
  if (archive && !archive.deletedDate) {
    const states = await mapConcurrently(await restoreKeysOf(svc, job), READ_CONCURRENCY, async (key) => {
      const state = await svc.blobs.restoreStatus(key);
      if (state !== 'none') return state;
      return (await svc.blobs.restore(key, job.tier, RESTORE_DAYS)) === 'restored' ? 'restored' : 'in-progress';
    });
    if (states.some((state) => state !== 'restored')) {
      await svc.jobs.scheduleRecheck(job, svc.now().getTime() + RESTORE_RECHECK_MS[job.tier]);
      return false;
    }
  }
  // Readable, or (archive deleted) failed: completeJob decides which.
  await completeJob(svc, job);
  return true;
}

/** An S3 object's restore completed: jobs that were waiting only for it complete now. */
export async function restoreCompleted(svc: Services, blobKey: string): Promise<number> {
  const ready = await svc.jobs.releaseRestoreWaits(blobKey);
  for (const ref of ready) {
    const job = await svc.jobs.getJob(ref.accountId, ref.vaultName, ref.jobId);
    if (job?.status === 'InProgress') await completeJob(svc, job);
  }
  return ready.length;
}

function failed(now: Date, message: string): Partial<JobRecord> {
  return { status: 'Failed', statusMessage: message, completionDate: now.toISOString(), readyAtMs: undefined };
}

function isReady(svc: Services, job: JobRecord): boolean {
  if (job.status !== 'InProgress') return false;
  if (job.readyAtMs !== undefined) return job.readyAtMs <= svc.now().getTime();
  return job.pendingRestores === 0;
}

/** Does the job's work: checks the archive is still there, prepares the output, and notifies. */
async function completeJob(svc: Services, job: JobRecord): Promise<JobRecord> {
  const now = svc.now();
  let done: JobRecord;
  const vault = await svc.metadata.getVault(job.accountId, job.vaultName);
  if (!vault) {
    done = { ...job, ...failed(now, 'The vault was deleted before the job completed.') };
  } else if (job.archive) {
    const archive = await svc.metadata.getArchive(job.accountId, job.vaultName, job.archive.archiveId);
    const range = job.range as { start: number; end: number };
    if (!archive || archive.deletedDate) {
      done = { ...job, ...failed(now, `The archive ${job.archive.archiveId} was deleted before the job completed.`) };
    } else {
      done = { ...job, status: 'Succeeded', statusMessage: 'Succeeded', completionDate: now.toISOString(), readyAtMs: undefined };
      const whole = range.start === 0 && range.end === job.archive.size - 1;
      if (whole) done.rangeTreeHash = job.archive.treeHash;
      else if (isTreeHashAligned(range.start, range.end, job.archive.size))
        done.rangeTreeHash = await rangeTreeHash(svc, archiveOf(job), range.start, range.end);
    }
  } else {
    done = await prepareInventoryOutput(svc, job, vault, now);
  }
  setNotifyTopics(done, vault);
  if (!(await svc.jobs.finishJob(done))) {
    if (done.outputKey) await svc.blobs.delete(done.outputKey);
    return (await svc.jobs.getJob(job.accountId, job.vaultName, job.jobId)) ?? done;
  }
  failpoint('job:after-finish');
  await publishNotifications(svc, done);
  return done;
}

async function prepareInventoryOutput(svc: Services, job: JobRecord, vault: VaultRecord, now: Date): Promise<JobRecord> {
  const snapshot = vault.inventory;
  if (!snapshot) return { ...job, ...failed(now, 'The vault has no inventory.') };
  const retrieval = job.inventory as InventoryRetrieval;
  const output = await formatInventory(
    { vaultArn: vaultArn(svc.region, job.accountId, job.vaultName), inventoryDate: snapshot.date, retrieval },
    async function* () {
      for (let chunk = 0; chunk < snapshot.chunks; chunk += 1) {
        const entries = await svc.metadata.getInventoryChunk(job.accountId, job.vaultName, snapshot.id, chunk);
        if (!entries) throw new Error(`Chunk ${chunk} of inventory ${snapshot.id} is missing`);
        yield entries;
      }
    },
  );
  // A key of its own for each attempt: a completion that loses the race to another never
  // overwrites the output that the winner's job already serves.
  const outputKey = `${job.accountId}/jobs/${job.jobId}/${randomSuffix()}`;
  // Queued before the bytes go in: output that a crash keeps from being recorded is removed too.
  await svc.purges.schedule({ kind: 'blob', blobKey: outputKey }, now.getTime() + JOB_OUTPUT_LIFETIME_MS + 60_000);
  await putBytes(svc.blobs, outputKey, output.body, { hot: true });
  failpoint('job:after-output');
  return {
    ...job,
    status: 'Succeeded',
    statusMessage: 'Succeeded',
    completionDate: now.toISOString(),
    readyAtMs: undefined,
    outputKey,
    outputSize: output.body.length,
    inventory: { ...retrieval, ...(output.nextMarker && { nextMarker: output.nextMarker }) },
  };
}

/** Who hears of the job's completion: its own topic, and the vault's if it asks for this event. */
function setNotifyTopics(job: JobRecord, vault: VaultRecord | undefined): void {
  const topics = new Set<string>();
  if (job.snsTopic) topics.add(job.snsTopic);
  if (vault?.notifications?.events.includes(JOB_EVENTS[job.action])) topics.add(vault.notifications.snsTopic);
  if (topics.size > 0) job.notifyTopics = [...topics];
}

/**
 * Publishes to the job's topics and marks it notified. A delivery that fails for now leaves the
 * job unmarked, for the sweep to publish again: it never fails the request that finished the job.
 */
async function publishNotifications(svc: Services, job: JobRecord): Promise<boolean> {
  if (!job.notifyTopics?.length) return false;
  const message = JSON.stringify(describeJob(svc, job));
  const event = JOB_EVENTS[job.action];
  try {
    for (const topic of job.notifyTopics) await svc.notifier.publish(topic, `Notification from Amazon Glacier: ${event}`, message);
  } catch {
    return false;
  }
  await svc.jobs.markNotified(job);
  return true;
}

/**
 * A job finished this long ago whose notifications are not marked published was interrupted
 * between finishing and publishing (a crash, SNS failing for now): the sweep publishes them. Like SNS
 * itself this delivers at least once: a crash after publishing and before marking repeats it.
 */
const NOTIFY_GRACE_MS = 5 * 60_000;

export async function publishLostNotifications(svc: Services): Promise<number> {
  let published = 0;
  let cursor: string | undefined;
  do {
    const page = await svc.jobs.listUnnotifiedJobs(svc.now().getTime() - NOTIFY_GRACE_MS, cursor);
    for (const job of page.items) if (await publishNotifications(svc, job)) published += 1;
    cursor = page.cursor;
  } while (cursor);
  return published;
}

/** What the scheduled sweep does: completes due jobs, then publishes notifications that were lost. */
export async function sweepJobs(svc: Services): Promise<{ completed: number; notified: number }> {
  const completed = await completeDueJobs(svc);
  return { completed, notified: await publishLostNotifications(svc) };
}

function expired(svc: Services, job: JobRecord): boolean {
  return job.completionDate !== undefined && Date.parse(job.completionDate) + JOB_OUTPUT_LIFETIME_MS < svc.now().getTime();
}

/**
 * Completing a job within an API request must stay quick: a job whose range tree hash means
 * reading more than this is left to the sweep, which has minutes.
 */
const MAX_INLINE_HASH_BYTES = 256 * MiB;

function quickToComplete(job: JobRecord): boolean {
  if (!job.archive || !job.range) return true;
  const whole = job.range.start === 0 && job.range.end === job.archive.size - 1;
  return (
    whole || !isTreeHashAligned(job.range.start, job.range.end, job.archive.size) || job.range.end - job.range.start < MAX_INLINE_HASH_BYTES
  );
}

/** A job as it is now: one whose time has come is completed on the way, when that is quick. */
async function settle(svc: Services, job: JobRecord): Promise<JobRecord> {
  return isReady(svc, job) && quickToComplete(job) ? completeJob(svc, job) : job;
}

export async function getJob(svc: Services, accountId: string, vaultName: string, jobId: string): Promise<JobRecord> {
  await requireVault(svc, accountId, vaultName);
  const job = await svc.jobs.getJob(accountId, vaultName, jobId);
  if (!job || expired(svc, job)) throw jobNotFound(jobId);
  return settle(svc, job);
}

export async function listJobs(
  svc: Services,
  accountId: string,
  vaultName: string,
  query: { completed?: string; statuscode?: string; marker?: string; limit: number },
): Promise<{ jobs: JobRecord[]; marker?: string }> {
  await requireVault(svc, accountId, vaultName);
  const filter: { status?: JobStatus; completed?: boolean } = {};
  if (query.statuscode !== undefined) {
    if (!['InProgress', 'Succeeded', 'Failed'].includes(query.statuscode)) {
      throw invalidParameter(`Invalid statuscode: ${query.statuscode}. Valid values are InProgress, Succeeded and Failed.`);
    }
    filter.status = query.statuscode as JobStatus;
  }
  if (query.completed !== undefined) {
    if (query.completed !== 'true' && query.completed !== 'false')
      throw invalidParameter(`Invalid completed: ${query.completed}. Use true or false.`);
    filter.completed = query.completed === 'true';
  }
  // Jobs whose time has come are completed first, so that the filters see their real state.
  const due = await svc.jobs.listJobs(accountId, vaultName, { status: 'InProgress' }, undefined, 1000);
  for (const job of due.items) await settle(svc, job);

  const page = await svc.jobs.listJobs(accountId, vaultName, filter, query.marker, query.limit);
  const jobs = page.items.filter((job) => !expired(svc, job));
  const last = page.items[page.items.length - 1];
  return { jobs, marker: page.cursor && last ? last.jobId : undefined };
}

/** The sweep (a timer locally, a schedule deployed): completes the jobs whose time has come, and re-checks restores S3 has not reported. */
export async function completeDueJobs(svc: Services): Promise<number> {
  let completed = 0;
  let cursor: string | undefined;
  do {
    const page = await svc.jobs.listDueJobs(svc.now().getTime(), cursor);
    for (const job of page.items) {
      const current = await svc.jobs.getJob(job.accountId, job.vaultName, job.jobId);
      if (current && isReady(svc, current)) {
        await completeJob(svc, current);
        completed += 1;
      } else if (current?.status === 'InProgress' && current.pendingRestores !== undefined) {
        if (await recheckRestores(svc, current)) completed += 1;
      }
    }
    cursor = page.cursor;
  } while (cursor);
  return completed;
}

export interface JobOutput {
  status: 200 | 206;
  body: Readable;
  contentType: string;
  headers: Record<string, string>;
}

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

export async function getJobOutput(
  svc: Services,
  accountId: string,
  vaultName: string,
  jobId: string,
  rangeHeader: string | undefined,
): Promise<JobOutput> {
  const job = await getJob(svc, accountId, vaultName, jobId);
  if (job.status !== 'Succeeded') throw invalidParameter(`The job is not currently available for download: ${jobId}`);
  const total = job.archive
    ? (job.range as { end: number; start: number }).end - (job.range as { start: number }).start + 1
    : (job.outputSize as number);
  const requested = rangeHeader === undefined ? { start: 0, end: total - 1 } : parseRangeHeader(rangeHeader, total);
  const length = requested.end - requested.start + 1;
  if (length > svc.maxBodyBytes) {
    throw invalidParameter(
      `The requested output is ${length} bytes; this endpoint returns at most ${svc.maxBodyBytes} bytes per request. ` +
        'Download it in parts with the Range header (for example bytes=0-4194303).',
    );
  }
  const headers: Record<string, string> = { 'accept-ranges': 'bytes', 'content-length': String(length) };
  if (rangeHeader !== undefined) headers['content-range'] = `bytes ${requested.start}-${requested.end}/${total}`;
  const status = rangeHeader === undefined ? 200 : 206;
  if (!job.archive) {
    const body = checkedLength(await svc.blobs.get(job.outputKey as string, requested), length);
    const contentType = job.inventory?.format === 'CSV' ? 'text/csv' : 'application/json';
    return { status, body, contentType, headers };
  }
  const offset = (job.range as { start: number }).start;
  const start = offset + requested.start;
  const end = offset + requested.end;
  // Glacier sends the checksum for a range that starts on a MiB and ends on one or at the archive's end: before the first byte.
  if (start % MiB === 0 && ((end + 1) % MiB === 0 || end === job.archive.size - 1)) {
    headers['x-amz-sha256-tree-hash'] =
      start === offset && end === (job.range as { end: number }).end && job.rangeTreeHash
        ? job.rangeTreeHash
        : await rangeTreeHash(svc, archiveOf(job), start, end);
  }
  if (job.archive.description) headers['x-amz-archive-description'] = job.archive.description;
  return { status, body: await archiveStream(svc, archiveOf(job), start, end), contentType: 'application/octet-stream', headers };
}

/** Glacier's GlacierJobDescription: what DescribeJob, ListJobs and notifications say of a job. */
export function describeJob(svc: Services, job: JobRecord): Record<string, unknown> {
  const description: Record<string, unknown> = {
    JobId: job.jobId,
    JobDescription: job.description || null,
    Action: job.action,
    VaultARN: vaultArn(svc.region, job.accountId, job.vaultName),
    CreationDate: job.creationDate,
    Completed: job.status !== 'InProgress',
    StatusCode: job.status,
    StatusMessage: job.statusMessage ?? null,
    CompletionDate: job.completionDate ?? null,
    SNSTopic: job.snsTopic ?? null,
  };
  if (job.archive && job.range) {
    Object.assign(description, {
      ArchiveId: job.archive.archiveId,
      ArchiveSizeInBytes: job.archive.size,
      ArchiveSHA256TreeHash: job.archive.treeHash,
      RetrievalByteRange: `${job.range.start}-${job.range.end}`,
      Tier: job.tier,
      SHA256TreeHash: job.rangeTreeHash ?? null,
    });
  }
  if (job.inventory) {
    description.InventorySizeInBytes = job.outputSize ?? null;
    description.InventoryRetrievalParameters = {
      Format: job.inventory.format,
      StartDate: job.inventory.startDate ?? null,
      EndDate: job.inventory.endDate ?? null,
      Limit: job.inventory.limit === undefined ? null : String(job.inventory.limit),
      Marker: job.inventory.nextMarker ?? null,
    };
  }
  return description;
}
