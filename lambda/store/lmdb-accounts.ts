import type { AccountSettings, AccountStore } from '../domain/account-ports';
import type { LmdbEnv } from './lmdb-env';

/** Account settings in LMDB, as JSON text: compare-and-set compares that text, as the DynamoDB adapter does. */
export class LmdbAccountStore implements AccountStore {
  private readonly settings;

  constructor(private readonly env: LmdbEnv) {
    this.settings = env.db<string>('account-settings');
  }

  async getAccountSetting<N extends keyof AccountSettings>(accountId: string, name: N): Promise<AccountSettings[N] | undefined> {
    const text = this.settings.get([accountId, name]);
    return text === undefined ? undefined : (JSON.parse(text) as AccountSettings[N]);
  }

  setAccountSetting<N extends keyof AccountSettings>(
    accountId: string,
    name: N,
    value: AccountSettings[N] | undefined,
    expected?: AccountSettings[N] | null,
  ): Promise<boolean> {
    return this.env.write(() => {
      const current = this.settings.get([accountId, name]);
      if (expected === null && current !== undefined) return false;
      if (expected !== undefined && expected !== null && current !== JSON.stringify(expected)) return false;
      if (value === undefined) this.settings.removeSync([accountId, name]);
      else this.settings.putSync([accountId, name], JSON.stringify(value));
      return true;
    });
  }
}
