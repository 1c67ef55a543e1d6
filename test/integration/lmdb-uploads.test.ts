import { LmdbUploadStore } from '../../lambda/store/lmdb-uploads';
import { tempLmdb } from '../support/lmdb';
import { uploadStoreContract } from '../support/upload-store.contract';

const lmdb = tempLmdb();
afterAll(() => lmdb.close());

// Small idle pages, so that paging is exercised; then one idle page.
describe('LmdbUploadStore', () => {
  uploadStoreContract(async () => new LmdbUploadStore(lmdb.fresh(), { idlePageSize: 3 }));
});

describe('LmdbUploadStore with one idle page', () => {
  uploadStoreContract(async () => new LmdbUploadStore(lmdb.fresh()));
});
