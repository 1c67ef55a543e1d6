import { serviceUnavailable } from './errors';

/** What a try answers when another writer changed the item between its read and its write. */
export const CONFLICT = Symbol('conflict');

const MAX_ATTEMPTS = 16;
const FIRST_DELAY_MS = 5;
const MAX_DELAY_MS = 1000;

export interface Backoff {
  sleep(ms: number): Promise<void>;
  random(): number;
}

const realBackoff: Backoff = { sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)), random: Math.random };

/**
 * Runs a read-modify-write until its conditional write takes. Writers that collided wait a
 * random time that doubles each round ("full jitter"), so that many writers of one hot item
 * (an account's retrieval ledger under many clients) spread out instead of colliding in step.
 * After MAX_ATTEMPTS the request fails with a retryable ServiceUnavailableException.
 */
export async function retryOnConflict<T>(
  attempt: () => Promise<T | typeof CONFLICT>,
  busyMessage: string,
  backoff: Backoff = realBackoff,
): Promise<T> {
  for (let round = 0; round < MAX_ATTEMPTS; round += 1) {
    const result = await attempt();
    if (result !== CONFLICT) return result;
    if (round + 1 < MAX_ATTEMPTS) await backoff.sleep(backoff.random() * Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** round));
  }
  throw serviceUnavailable(busyMessage);
}
