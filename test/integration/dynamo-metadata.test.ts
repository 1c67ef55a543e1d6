import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readLocalConfig } from '../../lambda/config';
import { ensureTable } from '../../lambda/local/embedded-stores';
import { DynamoMetadataStore } from '../../lambda/store/dynamo-metadata';
import { createDynamoClient } from '../../lambda/wiring';
import { startDynalite, type EmbeddedServer } from '../support/embedded';
import { metadataStoreContract } from '../unit/metadata-store.contract';

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
describe('DynamoMetadataStore on dynalite', () => {
  metadataStoreContract(async () => {
    tables += 1;
    const table = `coldvault-contract-${tables}`;
    await ensureTable(client, table);
    return new DynamoMetadataStore(client, table);
  });
});
