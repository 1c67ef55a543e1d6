// What the domain needs from storage for account-level state: the data retrieval policy,
// the retrieval accounting it is enforced with, and provisioned capacity units.

export type RetrievalStrategy = 'BytesPerHour' | 'FreeTier' | 'None';

/** The one rule of an account's data retrieval policy. */
export interface DataRetrievalRule {
  strategy: RetrievalStrategy;
  /** Only with strategy BytesPerHour. */
  bytesPerHour?: number;
}

/** Bytes of Standard retrievals counted against each clock hour (hours since the epoch), in hour order. */
export type RetrievalLedger = { hour: number; bytes: number }[];

export interface CapacityUnit {
  capacityId: string;
  /** ISO dates, UTC. */
  startDate: string;
  expirationDate: string;
}

/** The settings an account carries, each stored and replaced on its own. */
export interface AccountSettings {
  retrievalPolicy?: DataRetrievalRule;
  retrievalLedger?: RetrievalLedger;
  /** Every unit purchased, expired ones included. */
  capacity?: CapacityUnit[];
}

export interface AccountStore {
  getAccountSetting<K extends keyof AccountSettings>(accountId: string, name: K): Promise<AccountSettings[K] | undefined>;
  /**
   * Sets (or with undefined, removes) one of the account's settings. With `expected`, only if
   * the setting is still that value (null: absent), so read-modify-write can't lose an
   * update; false if it had changed.
   */
  setAccountSetting<K extends keyof AccountSettings>(
    accountId: string,
    name: K,
    value: AccountSettings[K] | undefined,
    expected?: AccountSettings[K] | null,
  ): Promise<boolean>;
}
