import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readLocalConfig } from '../../lambda/config';
import { ensureTable } from '../../lambda/local/embedded-stores';
import { DynamoJobStore, DynamoPurgeQueue } from '../../lambda/store/dynamo-jobs';
import { createDynamoClient } from '../../lambda/wiring';
import { startDynalite, type EmbeddedServer } from '../support/embedded';
import { jobStoreContract } from '../unit/job-store.contract';
import { purgeQueueContract } from '../unit/purge-queue.contract';

let server: EmbeddedServer;
let client: DynamoDBClient;
let tables = 0;

beforeAll(async () => {
  server = await startDynalite();
  client = createDynamoClient(readLocalConfig({ COLDVAULT_DYNAMODB_ENDPOINT: server.endpoint }));
});

afterAll(async () => {
  client?.destroy();
  await server?.close();
});

async function freshTable(): Promise<string> {
  tables += 1;
  const table = `coldvault-jobs-${tables}`;
  await ensureTable(client, table);
  return table;
}

// A fresh table for every test.
describe('DynamoJobStore on dynalite', () => {
  jobStoreContract(async () => new DynamoJobStore(client, await freshTable()));
});

describe('DynamoPurgeQueue on dynalite', () => {
  purgeQueueContract(async () => new DynamoPurgeQueue(client, await freshTable()));
});
