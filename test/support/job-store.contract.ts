// The behaviour every JobStore must have: run against the in-memory fake (unit) and the
// DynamoDB adapter on dynalite (integration), so the fake can stand in for the real one.
import { newArchiveId, newJobId, newUploadId } from '../../lambda/domain/ids';
import type { ArchiveRetrievalJob, InventoryRetrievalJob, JobRecord, JobStatus, JobStore, Page } from '../../lambda/domain/ports';
import { listAfterLastId, readAllItems } from './paging';
import { ACCOUNT, OTHER_ACCOUNT } from './accounts';

const T0 = Date.parse('2024-03-01T10:00:00.000Z');
const STATUSES: JobStatus[] = ['InProgress', 'Succeeded', 'Failed'];

/** A job created `offsetMs` after T0; its ID sorts by that time. */
function job(vaultName: string, offsetMs: number, overrides: Partial<InventoryRetrievalJob> = {}): InventoryRetrievalJob {
  const created = new Date(T0 + offsetMs);
  return {
    accountId: ACCOUNT,
    vaultName,
    jobId: newJobId(created),
    action: 'InventoryRetrieval',
    description: '',
    tier: 'Standard',
    creationDate: created.toISOString(),
    status: 'InProgress',
    inventory: { format: 'JSON' },
    ...overrides,
  };
}

/** What an archive retrieval reads, when that does not matter. */
const AN_ARCHIVE: Pick<ArchiveRetrievalJob, 'archive' | 'range'> = {
  archive: {
    archiveId: 'an-archive',
    size: 10,
    treeHash: 'ef'.repeat(32),
    layout: { kind: 'blob', blobKey: `${ACCOUNT}/archives/an-archive` },
    creationDate: '2024-02-29T09:00:00.000Z',
    description: '',
  },
  range: { start: 0, end: 9 },
};

/** An archive retrieval created `offsetMs` after T0. */
function archiveJob(
  vaultName: string,
  offsetMs: number,
  fields: Pick<ArchiveRetrievalJob, 'archive' | 'range'> & Partial<ArchiveRetrievalJob>,
): ArchiveRetrievalJob {
  const created = new Date(T0 + offsetMs);
  return {
    accountId: ACCOUNT,
    vaultName,
    jobId: newJobId(created),
    description: '',
    tier: 'Standard',
    creationDate: created.toISOString(),
    status: 'InProgress',
    ...fields,
    action: 'ArchiveRetrieval',
  };
}

function finished(record: JobRecord, status: 'Succeeded' | 'Failed', atMs: number): JobRecord {
  const done: JobRecord = {
    ...record,
    status,
    statusMessage: status === 'Failed' ? 'The archive was deleted.' : 'Succeeded',
    completionDate: new Date(atMs).toISOString(),
  };
  delete done.readyAtMs;
  return done;
}

const ref = (record: JobRecord) => ({ accountId: record.accountId, vaultName: record.vaultName, jobId: record.jobId });
const byJobId = (a: { jobId: string }, b: { jobId: string }) => (a.jobId < b.jobId ? -1 : a.jobId > b.jobId ? 1 : 0);

export function jobStoreContract(makeStore: () => Promise<JobStore>): void {
  let store: JobStore;

  beforeEach(async () => {
    store = await makeStore();
  });

  /** Reads every listJobs page the way ListJobs does: from the last job ID returned. */
  const listAllJobs = (vaultName: string, filter: { status?: JobStatus; completed?: boolean }, limit: number) =>
    listAfterLastId(
      (startAfter) => store.listJobs(ACCOUNT, vaultName, filter, startAfter, limit),
      (item) => item.jobId,
    );

  describe('jobs', () => {
    it('stores jobs with every field and reads them back as they were', async () => {
      const archiveId = newArchiveId();
      const uploadId = newUploadId();
      const retrieval = archiveJob('v', 0, {
        description: 'a range, with "quotes", commas',
        snsTopic: `arn:aws:sns:us-east-1:${ACCOUNT}:restores`,
        tier: 'Bulk',
        readyAtMs: T0 + 5000,
        pendingRestores: 3,
        archive: {
          archiveId,
          size: 5 * 1024 * 1024 + 17,
          treeHash: 'ab'.repeat(32),
          layout: { kind: 'parts', uploadId, partSize: 2 * 1024 * 1024, count: 3, chunks: 1 },
          creationDate: '2024-02-29T09:00:00.000Z',
          description: 'photos',
        },
        range: { start: 2 * 1024 * 1024, end: 4 * 1024 * 1024 - 1 },
        rangeTreeHash: 'cd'.repeat(32),
      });
      const inventory = job('v', 1, {
        status: 'Succeeded',
        statusMessage: 'Succeeded',
        completionDate: '2024-03-01T14:00:00.000Z',
        tier: 'Expedited',
        inventory: {
          format: 'CSV',
          startDate: '2024-01-01T00:00:00Z',
          endDate: '2024-02-01T00:00:00Z',
          limit: 100,
          marker: newArchiveId(),
          nextMarker: newArchiveId(),
        },
        outputKey: `${ACCOUNT}/jobs/some-job`,
        outputSize: 12345,
      });
      const single = archiveJob('v', 2, {
        archive: {
          archiveId,
          size: 10,
          treeHash: 'ef'.repeat(32),
          layout: { kind: 'blob', blobKey: `${ACCOUNT}/archives/${archiveId}` },
          creationDate: '2024-02-29T09:00:00.000Z',
          description: '',
        },
        range: { start: 0, end: 9 },
      });
      for (const record of [retrieval, inventory, single]) await store.createJob(record);

      for (const record of [retrieval, inventory, single]) expect(await store.getJob(ACCOUNT, 'v', record.jobId)).toEqual(record);
      expect(await store.getJob(ACCOUNT, 'w', retrieval.jobId)).toBeUndefined();
      expect(await store.getJob(OTHER_ACCOUNT, 'v', retrieval.jobId)).toBeUndefined();
      expect(await store.getJob(ACCOUNT, 'v', newJobId(new Date(T0)))).toBeUndefined();
    });

    it('lists 60 jobs in creation order, filtered by status or completion, in pages with a cursor only while more exist', async () => {
      const jobs = Array.from({ length: 60 }, (_, i) => {
        const record = job('v', i * 1000);
        return i % 3 === 0 ? record : finished(record, STATUSES[i % 3] as 'Succeeded' | 'Failed', T0 + i * 1000 + 500);
      });
      // Stored out of order, with jobs of other vaults and accounts around them.
      for (const record of [...jobs].reverse()) await store.createJob(record);
      await store.createJob(job('w', 500));
      await store.createJob({ ...job('v', 1500), accountId: OTHER_ACCOUNT });
      const ids = (records: JobRecord[]) => records.map((record) => record.jobId);
      const where = (test: (record: JobRecord) => boolean) => ids(jobs.filter(test));
      const sizes = (pages: Page<JobRecord>[]) => pages.map((page) => page.items.length);

      const all = await listAllJobs('v', {}, 25);
      expect(sizes(all)).toEqual([25, 25, 10]);
      expect(all.map((page) => page.cursor !== undefined)).toEqual([true, true, false]);
      expect(ids(all.flatMap((page) => page.items))).toEqual(ids(jobs));
      expect(all.flatMap((page) => page.items)).toEqual(jobs);

      // A last page that is exactly full carries no cursor.
      expect(sizes(await listAllJobs('v', {}, 30))).toEqual([30, 30]);
      expect((await store.listJobs(ACCOUNT, 'v', {}, undefined, 60)).cursor).toBeUndefined();
      expect((await store.listJobs(ACCOUNT, 'v', {}, undefined, 59)).cursor).toBeDefined();

      const succeeded = await listAllJobs('v', { status: 'Succeeded' }, 7);
      expect(sizes(succeeded)).toEqual([7, 7, 6]);
      expect(ids(succeeded.flatMap((page) => page.items))).toEqual(where((record) => record.status === 'Succeeded'));
      const open = await listAllJobs('v', { status: 'InProgress' }, 10);
      expect(sizes(open)).toEqual([10, 10]);
      expect(ids(open.flatMap((page) => page.items))).toEqual(where((record) => record.status === 'InProgress'));

      const completed = await listAllJobs('v', { completed: true }, 15);
      expect(ids(completed.flatMap((page) => page.items))).toEqual(where((record) => record.status !== 'InProgress'));
      expect(sizes(completed)).toEqual([15, 15, 10]);
      const notCompleted = await listAllJobs('v', { completed: false }, 1);
      expect(ids(notCompleted.flatMap((page) => page.items))).toEqual(where((record) => record.status === 'InProgress'));
      expect(notCompleted).toHaveLength(20);

      expect(ids((await store.listJobs(ACCOUNT, 'v', { status: 'Failed', completed: true }, undefined, 100)).items)).toEqual(
        where((record) => record.status === 'Failed'),
      );
      expect(await store.listJobs(ACCOUNT, 'v', { status: 'Failed', completed: false }, undefined, 100)).toEqual({ items: [] });

      // Strictly after the job ID given.
      const after = await store.listJobs(ACCOUNT, 'v', {}, jobs[41].jobId, 100);
      expect(ids(after.items)).toEqual(ids(jobs.slice(42)));
      expect(after.cursor).toBeUndefined();
      const failedAfter = await store.listJobs(ACCOUNT, 'v', { status: 'Failed' }, jobs[2].jobId, 3);
      expect(ids(failedAfter.items)).toEqual([jobs[5], jobs[8], jobs[11]].map((record) => record.jobId));
      expect(failedAfter.cursor).toBeDefined();
      expect(await store.listJobs(ACCOUNT, 'v', {}, jobs[59].jobId, 10)).toEqual({ items: [] });

      expect(ids((await store.listJobs(ACCOUNT, 'w', {}, undefined, 100)).items)).toHaveLength(1);
      expect(await store.listJobs(ACCOUNT, 'empty', {}, undefined, 100)).toEqual({ items: [] });
    });
  });

  describe('finishJob', () => {
    it('finishes an InProgress job exactly once when two finishes race', async () => {
      const record = job('v', 0, { readyAtMs: T0 + 1000 });
      await store.createJob(record);
      const success = finished(record, 'Succeeded', T0 + 2000);
      const failure = finished(record, 'Failed', T0 + 2000);

      const outcomes = await Promise.all([store.finishJob(success), store.finishJob(failure)]);
      expect([...outcomes].sort()).toEqual([false, true]);
      const winner = outcomes[0] ? success : failure;
      expect(await store.getJob(ACCOUNT, 'v', record.jobId)).toEqual(winner);

      expect(await store.finishJob(outcomes[0] ? failure : success)).toBe(false);
      expect(await store.finishJob({ ...winner, statusMessage: 'again' })).toBe(false);
      expect(await store.getJob(ACCOUNT, 'v', record.jobId)).toEqual(winner);
    });

    it('does not finish a job that does not exist, nor create it', async () => {
      const record = job('v', 0);
      expect(await store.finishJob(finished(record, 'Succeeded', T0))).toBe(false);
      expect(await store.getJob(ACCOUNT, 'v', record.jobId)).toBeUndefined();
    });
  });

  describe('listDueJobs', () => {
    it('lists the InProgress jobs of every vault whose time has come, up to and including now, by due time', async () => {
      const now = T0 + 60_000;
      const early = job('v', 0, { readyAtMs: now - 30_000 });
      const exact = job('w', 1, { readyAtMs: now, accountId: OTHER_ACCOUNT });
      const onTime = job('v', 2, { readyAtMs: now - 40_000 });
      const late = job('v', 3, { readyAtMs: now + 1 });
      const restoring = job('v', 4, { pendingRestores: 2 });
      const done = job('v', 5, { readyAtMs: now - 50_000 });
      for (const record of [early, exact, onTime, late, restoring, done]) await store.createJob(record);
      expect(await store.finishJob(finished(done, 'Succeeded', now - 50_000))).toBe(true);

      const due = await readAllItems((cursor) => store.listDueJobs(now, cursor));
      expect(due).toEqual([onTime, early, exact]);
      expect(await readAllItems((cursor) => store.listDueJobs(now - 40_001, cursor))).toEqual([]);
      expect((await readAllItems((cursor) => store.listDueJobs(now + 1, cursor))).map((record) => record.jobId)).toEqual(
        [onTime, early, exact, late].map((record) => record.jobId),
      );

      // A finished job is due no more.
      expect(await store.finishJob(finished(early, 'Succeeded', now))).toBe(true);
      expect((await readAllItems((cursor) => store.listDueJobs(now, cursor))).map((record) => record.jobId)).toEqual([
        onTime.jobId,
        exact.jobId,
      ]);
    });

    it('pages through many due jobs', async () => {
      const jobs = Array.from({ length: 45 }, (_, i) => job(`vault-${i % 4}`, i, { readyAtMs: T0 + (i % 9) * 1000 }));
      for (const record of jobs) await store.createJob(record);
      const due = await readAllItems((cursor) => store.listDueJobs(T0 + 8000, cursor));
      expect(due.map((record) => record.jobId).sort()).toEqual(jobs.map((record) => record.jobId).sort());
      const times = due.map((record) => record.readyAtMs as number);
      expect(times).toEqual([...times].sort((a, b) => a - b));
    });
  });

  describe('notifications not yet published', () => {
    const unnotified = async (finishedBeforeMs: number) =>
      (await readAllItems((cursor) => store.listUnnotifiedJobs(finishedBeforeMs, cursor))).map((record) => record.jobId);

    it('offers finished jobs with topics, by finish time, until they are marked notified', async () => {
      const topics = [`arn:aws:sns:us-east-1:${ACCOUNT}:jobs`];
      const first = job('v', 0, { readyAtMs: T0 });
      const second = job('w', 1, { readyAtMs: T0, accountId: OTHER_ACCOUNT });
      const silent = job('v', 2, { readyAtMs: T0 });
      const running = job('v', 3, { readyAtMs: T0, notifyTopics: topics });
      for (const record of [first, second, silent, running]) await store.createJob(record);
      expect(await store.finishJob({ ...finished(second, 'Failed', T0 + 1000), notifyTopics: topics })).toBe(true);
      expect(await store.finishJob({ ...finished(first, 'Succeeded', T0 + 2000), notifyTopics: topics })).toBe(true);
      expect(await store.finishJob(finished(silent, 'Succeeded', T0 + 500))).toBe(true);

      expect(await unnotified(T0 + 999)).toEqual([]);
      expect(await unnotified(T0 + 1000)).toEqual([second.jobId]);
      expect(await unnotified(T0 + 5000)).toEqual([second.jobId, first.jobId]);
      expect((await store.listUnnotifiedJobs(T0 + 5000)).items[0].notifyTopics).toEqual(topics);

      await store.markNotified(ref(second));
      await store.markNotified(ref(second));
      await store.markNotified(ref(silent));
      expect(await unnotified(T0 + 5000)).toEqual([first.jobId]);
      expect((await store.getJob(OTHER_ACCOUNT, 'w', second.jobId))?.status).toBe('Failed');
    });

    it('offers a job created finished (failed at once) with topics', async () => {
      const failedAtOnce = finished(job('v', 0), 'Failed', T0);
      await store.createJob({ ...failedAtOnce, notifyTopics: [`arn:aws:sns:us-east-1:${ACCOUNT}:jobs`] });
      expect(await unnotified(T0)).toEqual([failedAtOnce.jobId]);
      await store.markNotified(ref(failedAtOnce));
      expect(await unnotified(T0)).toEqual([]);
    });
  });

  describe('restore re-checks', () => {
    const dueIds = async (nowMs: number) =>
      (await readAllItems((cursor) => store.listDueJobs(nowMs, cursor))).map((record) => record.jobId);

    it('lists a restoring job at its first re-check time, and again at each time scheduleRecheck sets', async () => {
      const restoring = archiveJob('v', 0, { ...AN_ARCHIVE, pendingRestores: 2, recheckAtMs: T0 + 60_000 });
      await store.createJob(restoring);
      expect(await dueIds(T0 + 59_999)).toEqual([]);
      expect(await dueIds(T0 + 60_000)).toEqual([restoring.jobId]);

      await store.scheduleRecheck(ref(restoring), T0 + 120_000);
      expect(await dueIds(T0 + 119_999)).toEqual([]);
      expect(await dueIds(T0 + 120_000)).toEqual([restoring.jobId]);
      // Moving the index entry leaves the job itself as it was.
      expect(await store.getJob(ACCOUNT, 'v', restoring.jobId)).toEqual(restoring);
    });

    it('lists a job at once when its last wait is released, and never once it is finished', async () => {
      const key = `${ACCOUNT}/archives/${newArchiveId()}`;
      const restoring = archiveJob('v', 0, { ...AN_ARCHIVE, pendingRestores: 1, recheckAtMs: T0 + 3_600_000 });
      await store.createJob(restoring);
      await store.addRestoreWaits(restoring, [key]);
      expect(await dueIds(T0)).toEqual([]);
      expect(await store.releaseRestoreWaits(key)).toEqual([ref(restoring)]);
      expect(await dueIds(T0)).toEqual([restoring.jobId]);

      expect(await store.finishJob(finished(restoring, 'Succeeded', T0))).toBe(true);
      await store.scheduleRecheck(ref(restoring), T0);
      expect(await dueIds(T0 + 7_200_000)).toEqual([]);
    });

    it('does not create a job that was never stored when asked to re-check it', async () => {
      const ghost = job('v', 0, { pendingRestores: 1 });
      await store.scheduleRecheck(ref(ghost), T0);
      expect(await store.getJob(ACCOUNT, 'v', ghost.jobId)).toBeUndefined();
      expect(await dueIds(T0 + 1)).toEqual([]);
    });
  });

  describe('restore waits', () => {
    const keyOf = (name: string) => `${ACCOUNT}/uploads/${newUploadId()}/${name}`;

    it('makes a job waiting on several objects ready only after the last, counting each object once however often it is reported', async () => {
      const [a, b, c] = [keyOf('0-aa'), keyOf('1-bb'), keyOf('2-cc')];
      const record = archiveJob('v', 0, { ...AN_ARCHIVE, pendingRestores: 3 });
      await store.addRestoreWaits(record, [a, b, c]);
      await store.createJob(record);

      expect(await store.releaseRestoreWaits(a)).toEqual([]);
      expect(await store.releaseRestoreWaits(a)).toEqual([]);
      expect((await store.getJob(ACCOUNT, 'v', record.jobId))?.pendingRestores).toBe(2);
      expect(await store.releaseRestoreWaits(c)).toEqual([]);
      expect(await store.releaseRestoreWaits(c)).toEqual([]);
      expect((await store.getJob(ACCOUNT, 'v', record.jobId))?.pendingRestores).toBe(1);
      expect(await store.releaseRestoreWaits(b)).toEqual([ref(record)]);
      expect((await store.getJob(ACCOUNT, 'v', record.jobId))?.pendingRestores).toBe(0);
      expect(await store.releaseRestoreWaits(b)).toEqual([]);
      expect(await store.releaseRestoreWaits(a)).toEqual([]);
      expect((await store.getJob(ACCOUNT, 'v', record.jobId))?.pendingRestores).toBe(0);
    });

    it('counts one report once when two of them race', async () => {
      const [a, b] = [keyOf('0-aa'), keyOf('1-bb')];
      const record = job('v', 0, { pendingRestores: 2 });
      await store.addRestoreWaits(record, [a, b]);
      await store.createJob(record);
      expect((await Promise.all([store.releaseRestoreWaits(a), store.releaseRestoreWaits(a)])).flat()).toEqual([]);
      expect((await store.getJob(ACCOUNT, 'v', record.jobId))?.pendingRestores).toBe(1);
      expect((await Promise.all([store.releaseRestoreWaits(b), store.releaseRestoreWaits(b)])).flat()).toEqual([ref(record)]);
    });

    it('releases every job waiting for the same object', async () => {
      const [shared, other] = [keyOf('0-aa'), keyOf('1-bb')];
      const first = job('v', 0, { pendingRestores: 1 });
      const second = job('w', 1, { pendingRestores: 1, accountId: OTHER_ACCOUNT });
      const both = job('v', 2, { pendingRestores: 2 });
      await store.addRestoreWaits(first, [shared]);
      await store.addRestoreWaits(second, [shared]);
      await store.addRestoreWaits(both, [shared, other]);
      for (const record of [first, second, both]) await store.createJob(record);

      expect((await store.releaseRestoreWaits(shared)).sort(byJobId)).toEqual([ref(first), ref(second)]);
      expect(await store.releaseRestoreWaits(other)).toEqual([ref(both)]);
    });

    it('releases nothing for an object no job waits for, or for a job that was never stored', async () => {
      const key = keyOf('0-aa');
      expect(await store.releaseRestoreWaits(key)).toEqual([]);
      const ghost = job('v', 0, { pendingRestores: 1 });
      await store.addRestoreWaits(ghost, [key]);
      expect(await store.releaseRestoreWaits(key)).toEqual([]);
      expect(await store.getJob(ACCOUNT, 'v', ghost.jobId)).toBeUndefined();
    });
  });
}
