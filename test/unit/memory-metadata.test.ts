import { MemoryMetadataStore } from '../support/memory-stores';
import { metadataStoreContract } from '../support/metadata-store.contract';

// Small pages, so that paging is exercised on every listing.
describe('MemoryMetadataStore', () => {
  metadataStoreContract(async () => new MemoryMetadataStore({ archivePageSize: 7, vaultPageSize: 4 }));
});

describe('MemoryMetadataStore with the adapter page size', () => {
  metadataStoreContract(async () => new MemoryMetadataStore());
});
