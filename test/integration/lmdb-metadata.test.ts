import { LmdbMetadataStore } from '../../lambda/store/lmdb-metadata';
import { tempLmdb } from '../support/lmdb';
import { metadataStoreContract } from '../support/metadata-store.contract';

const lmdb = tempLmdb();
afterAll(() => lmdb.close());

// Small pages, so that paging is exercised on every listing; then the default pages.
describe('LmdbMetadataStore', () => {
  metadataStoreContract(async () => new LmdbMetadataStore(lmdb.fresh(), { archivePageSize: 7, vaultPageSize: 4 }));
});

describe('LmdbMetadataStore with the default page sizes', () => {
  metadataStoreContract(async () => new LmdbMetadataStore(lmdb.fresh()));
});
