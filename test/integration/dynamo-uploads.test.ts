import { DynamoUploadStore } from '../../lambda/store/dynamo-uploads';
import { startDynaliteTables, type DynaliteTables } from '../support/embedded';
import { uploadStoreContract } from '../support/upload-store.contract';

let dynamo: DynaliteTables;

beforeAll(async () => {
  dynamo = await startDynaliteTables('coldvault-uploads');
});

afterAll(() => dynamo?.close());

// A fresh table for every test.
describe('DynamoUploadStore on dynalite', () => {
  uploadStoreContract(async () => new DynamoUploadStore(dynamo.client, await dynamo.freshTable()));
});
