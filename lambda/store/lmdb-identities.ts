import type { AccessKeyRecord, Credentials, IdentityStore, UserRecord } from '../domain/ports';
import { entriesUnder, type LmdbEnv } from './lmdb-env';

/** Access keys and users in LMDB. Wrapped in SealedIdentityStore, it only ever holds sealed secrets. */
export class LmdbIdentityStore implements IdentityStore {
  private readonly keys;
  private readonly users;

  constructor(private readonly env: LmdbEnv) {
    this.keys = env.db<AccessKeyRecord>('access-keys');
    this.users = env.db<UserRecord>('users');
  }

  async lookup(accessKeyId: string): Promise<Credentials | undefined> {
    const key = await this.getKey(accessKeyId);
    if (!key || key.status !== 'Active') return undefined;
    return { accountId: key.accountId, secretAccessKey: key.secretAccessKey, ...(key.userName && { userName: key.userName }) };
  }

  async putKey(key: AccessKeyRecord): Promise<void> {
    await this.env.write(() => this.keys.putSync([key.accessKeyId, '-'], key));
  }

  async getKey(accessKeyId: string): Promise<AccessKeyRecord | undefined> {
    return this.keys.get([accessKeyId, '-']);
  }

  async listKeys(accountId?: string): Promise<AccessKeyRecord[]> {
    return [...entriesUnder(this.keys, [])]
      .map((entry) => entry.value)
      .filter((key) => accountId === undefined || key.accountId === accountId)
      .sort((a, b) => a.createdDate.localeCompare(b.createdDate));
  }

  revokeKey(accessKeyId: string): Promise<boolean> {
    return this.env.write(() => {
      const key = this.keys.get([accessKeyId, '-']);
      if (!key) return false;
      this.keys.putSync([accessKeyId, '-'], { ...key, status: 'Revoked' });
      return true;
    });
  }

  async putUser(user: UserRecord): Promise<void> {
    await this.env.write(() => this.users.putSync([user.accountId, user.userName], user));
  }

  async getUser(accountId: string, userName: string): Promise<UserRecord | undefined> {
    return this.users.get([accountId, userName]);
  }

  async listUsers(accountId: string): Promise<UserRecord[]> {
    return [...entriesUnder(this.users, [accountId])].map((entry) => entry.value);
  }

  deleteUser(accountId: string, userName: string): Promise<boolean> {
    return this.env.write(() => {
      if (!this.users.doesExist([accountId, userName])) return false;
      this.users.removeSync([accountId, userName]);
      return true;
    });
  }
}
