import { MemoryUploadStore } from '../support/memory-stores';
import { uploadStoreContract } from '../support/upload-store.contract';

// Small idle pages, so that paging is exercised.
describe('MemoryUploadStore', () => {
  uploadStoreContract(async () => new MemoryUploadStore({ idlePageSize: 3 }));
});

describe('MemoryUploadStore with one idle page', () => {
  uploadStoreContract(async () => new MemoryUploadStore());
});
