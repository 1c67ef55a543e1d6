// Access-key secrets reach the identity store only sealed.
import type { AccessKeyRecord, Credentials, IdentityStore, SecretSealer, UserRecord } from '../domain/ports';

/** Marks a sealed secret. A stored secret without it is a plaintext one from before sealing: read once, then sealed. */
export const SEALED_PREFIX = 'sealed:v1:';

/** An IdentityStore that seals secrets on the way in and opens them on the way out. */
export class SealedIdentityStore implements IdentityStore {
  constructor(
    private readonly inner: IdentityStore,
    private readonly sealer: SecretSealer,
  ) {}

  private async sealed(key: AccessKeyRecord): Promise<AccessKeyRecord> {
    return { ...key, secretAccessKey: SEALED_PREFIX + (await this.sealer.seal(key.secretAccessKey, key.accessKeyId)) };
  }

  private async opened(key: AccessKeyRecord): Promise<AccessKeyRecord> {
    if (key.secretAccessKey.startsWith(SEALED_PREFIX)) {
      return { ...key, secretAccessKey: await this.sealer.open(key.secretAccessKey.slice(SEALED_PREFIX.length), key.accessKeyId) };
    }
    // A plaintext secret stored before sealing: sealed in place the first time it is read, where
    // this process may seal (the deployed api function may only open; the admin command seals then).
    try {
      await this.inner.putKey(await this.sealed(key));
    } catch {
      // Sealed by the next process that may.
    }
    return key;
  }

  async lookup(accessKeyId: string): Promise<Credentials | undefined> {
    const key = await this.getKey(accessKeyId);
    if (!key || key.status !== 'Active') return undefined;
    return { accountId: key.accountId, secretAccessKey: key.secretAccessKey, ...(key.userName && { userName: key.userName }) };
  }

  async putKey(key: AccessKeyRecord): Promise<void> {
    await this.inner.putKey(await this.sealed(key));
  }

  async getKey(accessKeyId: string): Promise<AccessKeyRecord | undefined> {
    const key = await this.inner.getKey(accessKeyId);
    return key && this.opened(key);
  }

  async listKeys(accountId?: string): Promise<AccessKeyRecord[]> {
    return Promise.all((await this.inner.listKeys(accountId)).map((key) => this.opened(key)));
  }

  revokeKey(accessKeyId: string): Promise<boolean> {
    return this.inner.revokeKey(accessKeyId);
  }

  putUser(user: UserRecord): Promise<void> {
    return this.inner.putUser(user);
  }

  getUser(accountId: string, userName: string): Promise<UserRecord | undefined> {
    return this.inner.getUser(accountId, userName);
  }

  listUsers(accountId: string): Promise<UserRecord[]> {
    return this.inner.listUsers(accountId);
  }

  deleteUser(accountId: string, userName: string): Promise<boolean> {
    return this.inner.deleteUser(accountId, userName);
  }
}
