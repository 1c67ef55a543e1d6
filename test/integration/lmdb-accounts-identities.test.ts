import { LmdbAccountStore } from '../../lambda/store/lmdb-accounts';
import { LmdbIdentityStore } from '../../lambda/store/lmdb-identities';
import { tempLmdb } from '../support/lmdb';
import { accountStoreContract } from '../support/account-store.contract';
import { identityStoreContract } from '../support/identity-store.contract';

const lmdb = tempLmdb();
afterAll(() => lmdb.close());

describe('LmdbAccountStore', () => {
  accountStoreContract(async () => new LmdbAccountStore(lmdb.fresh()));
});

describe('LmdbIdentityStore', () => {
  identityStoreContract(async () => new LmdbIdentityStore(lmdb.fresh()));
});
