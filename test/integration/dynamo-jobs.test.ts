import { DynamoJobStore, DynamoPurgeQueue } from '../../lambda/store/dynamo-jobs';
import { startDynaliteTables, type DynaliteTables } from '../support/embedded';
import { jobStoreContract } from '../support/job-store.contract';
import { purgeQueueContract } from '../support/purge-queue.contract';

let dynamo: DynaliteTables;

beforeAll(async () => {
  dynamo = await startDynaliteTables('coldvault-jobs');
});

afterAll(() => dynamo?.close());

// A fresh table for every test.
describe('DynamoJobStore on dynalite', () => {
  jobStoreContract(async () => new DynamoJobStore(dynamo.client, await dynamo.freshTable()));
});

describe('DynamoPurgeQueue on dynalite', () => {
  purgeQueueContract(async () => new DynamoPurgeQueue(dynamo.client, await dynamo.freshTable()));
});
