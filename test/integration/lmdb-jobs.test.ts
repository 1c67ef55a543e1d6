import { LmdbJobStore } from '../../lambda/store/lmdb-jobs';
import { LmdbPurgeQueue } from '../../lambda/store/lmdb-purges';
import { tempLmdb } from '../support/lmdb';
import { jobStoreContract } from '../support/job-store.contract';
import { purgeQueueContract } from '../support/purge-queue.contract';

const lmdb = tempLmdb();
afterAll(() => lmdb.close());

// Small pages, so that paging is exercised; then one page.
describe('LmdbJobStore', () => {
  jobStoreContract(async () => new LmdbJobStore(lmdb.fresh(), { duePageSize: 4 }));
});

describe('LmdbJobStore with one due page', () => {
  jobStoreContract(async () => new LmdbJobStore(lmdb.fresh()));
});

describe('LmdbPurgeQueue', () => {
  purgeQueueContract(async () => new LmdbPurgeQueue(lmdb.fresh(), { pageSize: 3 }));
});

describe('LmdbPurgeQueue with one page', () => {
  purgeQueueContract(async () => new LmdbPurgeQueue(lmdb.fresh()));
});
