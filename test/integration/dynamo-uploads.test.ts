import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readLocalConfig } from '../../lambda/config';
import { ensureTable } from '../../lambda/local/embedded-stores';
import { DynamoUploadStore } from '../../lambda/store/dynamo-uploads';
import { createDynamoClient } from '../../lambda/wiring';
import { startDynalite, type EmbeddedServer } from '../support/embedded';
import { uploadStoreContract } from '../unit/upload-store.contract';

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

// A fresh table for every test.
describe('DynamoUploadStore on dynalite', () => {
  uploadStoreContract(async () => {
    tables += 1;
    const table = `coldvault-uploads-${tables}`;
    await ensureTable(client, table);
    return new DynamoUploadStore(client, table);
  });
});
