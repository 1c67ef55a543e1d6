import { MemoryJobStore, MemoryPurgeQueue } from '../support/memory-stores';
import { jobStoreContract } from '../support/job-store.contract';
import { purgeQueueContract } from '../support/purge-queue.contract';

// Small pages, so that paging is exercised.
describe('MemoryJobStore', () => {
  jobStoreContract(async () => new MemoryJobStore({ duePageSize: 4 }));
});

describe('MemoryJobStore with one due page', () => {
  jobStoreContract(async () => new MemoryJobStore());
});

describe('MemoryPurgeQueue', () => {
  purgeQueueContract(async () => new MemoryPurgeQueue({ pageSize: 3 }));
});

describe('MemoryPurgeQueue with one page', () => {
  purgeQueueContract(async () => new MemoryPurgeQueue());
});
