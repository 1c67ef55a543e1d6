import { DynamoMetadataStore } from '../../lambda/store/dynamo-metadata';
import { startDynaliteTables, type DynaliteTables } from '../support/embedded';
import { metadataStoreContract } from '../support/metadata-store.contract';

let dynamo: DynaliteTables;

beforeAll(async () => {
  dynamo = await startDynaliteTables('coldvault-contract');
});

afterAll(() => dynamo?.close());

// A fresh table for every test.
describe('DynamoMetadataStore on dynalite', () => {
  metadataStoreContract(async () => new DynamoMetadataStore(dynamo.client, await dynamo.freshTable()));
});
