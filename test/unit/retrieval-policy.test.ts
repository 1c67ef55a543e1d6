import { deleteArchive } from '../../lambda/domain/archives';
import { inventoryVault } from '../../lambda/domain/inventory';
import { parseJobRequest } from '../../lambda/ops/job-parameters';
import { initiateJob } from '../../lambda/domain/jobs';
import {
  DEFAULT_RETRIEVAL_POLICY,
  POLICY_ENFORCED_MESSAGE,
  dailyFreeAllowance,
  enforceRetrievalPolicy,
  getDataRetrievalPolicy,
  parseRetrievalPolicy,
  setDataRetrievalPolicy,
} from '../../lambda/domain/retrieval-policy';
import { createVault } from '../../lambda/domain/vaults';
import type { Tier } from '../../lambda/domain/ports';
import { MemoryMetadataStore, memoryServices, type MemoryServices } from '../support/memory-stores';
import { ACCOUNT, upload } from '../support/domain-helpers';

const HOUR = 60 * 60 * 1000;
const MiB = 1024 * 1024;
let svc: MemoryServices;

/** A clock that starts at `iso` (UTC). */
function at(iso: string) {
  svc = memoryServices(new MemoryMetadataStore(), Date.parse(iso));
}
const moveTo = (iso: string) => svc.advance(Date.parse(iso) - svc.now().getTime());

beforeEach(() => at('2024-06-01T10:20:00.000Z'));

const body = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
const setPolicy = (rule: Record<string, unknown>) => setDataRetrievalPolicy(svc, ACCOUNT, body({ Policy: { Rules: [rule] } }));
const retrieve = (bytes: number, tier: Tier = 'Standard') => enforceRetrievalPolicy(svc, ACCOUNT, tier, bytes);
const error = (code: string, message: string | RegExp) =>
  expect.objectContaining({ code, message: typeof message === 'string' ? message : expect.stringMatching(message) });
const invalid = (message: string | RegExp) => error('InvalidParameterValueException', message);
const missing = (message: string) => error('MissingParameterValueException', message);
const enforced = error('PolicyEnforcedException', 'InitiateJob request denied by current data retrieval policy.');
/** The ledger as {hour ISO: bytes}, to read the arithmetic. */
async function ledger(): Promise<Record<string, number>> {
  const entries = (await svc.accounts.getAccountSetting(ACCOUNT, 'retrievalLedger')) ?? [];
  return Object.fromEntries(entries.map((entry) => [new Date(entry.hour * HOUR).toISOString().slice(0, 13), entry.bytes]));
}

describe('SetDataRetrievalPolicy and GetDataRetrievalPolicy', () => {
  it('answers the default policy, No Retrieval Limit, when none was set', async () => {
    expect(DEFAULT_RETRIEVAL_POLICY).toEqual({ strategy: 'None' });
    expect(await getDataRetrievalPolicy(svc, ACCOUNT)).toEqual({ strategy: 'None' });
  });

  it('sets each strategy, replacing the policy before', async () => {
    await setPolicy({ Strategy: 'BytesPerHour', BytesPerHour: 10737418240 });
    expect(await getDataRetrievalPolicy(svc, ACCOUNT)).toEqual({ strategy: 'BytesPerHour', bytesPerHour: 10737418240 });
    await setPolicy({ Strategy: 'FreeTier' });
    expect(await getDataRetrievalPolicy(svc, ACCOUNT)).toEqual({ strategy: 'FreeTier' });
    await setPolicy({ Strategy: 'None' });
    expect(await getDataRetrievalPolicy(svc, ACCOUNT)).toEqual({ strategy: 'None' });
    expect(await getDataRetrievalPolicy(svc, '210987654321')).toEqual({ strategy: 'None' });
  });

  it('needs exactly one rule with a known Strategy', () => {
    expect(() => parseRetrievalPolicy(body({}))).toThrow(
      expect.objectContaining({ code: 'MissingParameterValueException', message: 'Required parameter missing: Policy' }),
    );
    expect(() => parseRetrievalPolicy(body({ Policy: {} }))).toThrow(missing('Required parameter missing: Rules'));
    expect(() => parseRetrievalPolicy(body({ Policy: { Rules: [] } }))).toThrow(
      invalid('Invalid Rules: a data retrieval policy has exactly one rule.'),
    );
    expect(() => parseRetrievalPolicy(body({ Policy: { Rules: [{ Strategy: 'None' }, { Strategy: 'FreeTier' }] } }))).toThrow(
      invalid(/exactly one rule/),
    );
    expect(() => parseRetrievalPolicy(body({ Policy: { Rules: [{}] } }))).toThrow(missing('Required parameter missing: Strategy'));
    expect(() => parseRetrievalPolicy(body({ Policy: { Rules: [{ Strategy: 'Unlimited' }] } }))).toThrow(
      invalid('Invalid Strategy: "Unlimited". Valid strategies are BytesPerHour, FreeTier, None.'),
    );
    expect(() => parseRetrievalPolicy(body('{"Policy":'))).toThrow(invalid('The request body is not valid JSON.'));
  });

  it('takes BytesPerHour with the BytesPerHour strategy only, from 1 to 2^63-1', () => {
    const rule = (text: string) => parseRetrievalPolicy(body(`{"Policy":{"Rules":[{"Strategy":"BytesPerHour","BytesPerHour":${text}}]}}`));
    expect(rule('1')).toEqual({ strategy: 'BytesPerHour', bytesPerHour: 1 });
    expect(rule('9223372036854775807')).toEqual({ strategy: 'BytesPerHour', bytesPerHour: 2 ** 63 });
    expect(() => rule('9223372036854775808')).toThrow(
      invalid(/Invalid BytesPerHour: .* It must be a whole number from 1 to 9223372036854775807\./),
    );
    expect(() => rule('0')).toThrow(invalid('Invalid BytesPerHour: 0. It must be a whole number from 1 to 9223372036854775807.'));
    expect(() => rule('-5')).toThrow(invalid(/Invalid BytesPerHour: -5/));
    expect(() => rule('1.5')).toThrow(invalid(/Invalid BytesPerHour: 1.5/));
    expect(() => rule('"100"')).toThrow(invalid(/Invalid BytesPerHour: "100"/));
    expect(() => parseRetrievalPolicy(body({ Policy: { Rules: [{ Strategy: 'BytesPerHour' }] } }))).toThrow(
      missing('Required parameter missing: BytesPerHour (the BytesPerHour strategy needs it)'),
    );
    expect(() => parseRetrievalPolicy(body({ Policy: { Rules: [{ Strategy: 'FreeTier', BytesPerHour: 100 }] } }))).toThrow(
      invalid('Invalid rule: BytesPerHour is allowed only with the BytesPerHour strategy, not with FreeTier.'),
    );
    expect(parseRetrievalPolicy(body({ Policy: { Rules: [{ Strategy: 'None', BytesPerHour: null }] } }))).toEqual({ strategy: 'None' });
  });

  it('leaves the policy unchanged when the new one is invalid', async () => {
    await setPolicy({ Strategy: 'FreeTier' });
    await expect(setPolicy({ Strategy: 'BytesPerHour', BytesPerHour: 0 })).rejects.toEqual(invalid(/Invalid BytesPerHour/));
    expect(await getDataRetrievalPolicy(svc, ACCOUNT)).toEqual({ strategy: 'FreeTier' });
  });
});

describe('the Max Retrieval Rate (BytesPerHour) policy', () => {
  beforeEach(() => setPolicy({ Strategy: 'BytesPerHour', BytesPerHour: 1000 }));

  it('counts a Standard retrieval as a quarter of its bytes in each of 4 clock hours, from the hour it starts in', async () => {
    await retrieve(4000); // 10:20: 1000 in each of 10:00-13:00, the whole rate
    expect(await ledger()).toEqual({ '2024-06-01T10': 1000, '2024-06-01T11': 1000, '2024-06-01T12': 1000, '2024-06-01T13': 1000 });
    await expect(retrieve(1)).rejects.toEqual(enforced);
    moveTo('2024-06-01T13:59:59.999Z');
    await expect(retrieve(4)).rejects.toEqual(enforced); // 13:00 is still full
    moveTo('2024-06-01T14:00:00.000Z');
    await retrieve(4000);
    expect(await ledger()).toMatchObject({ '2024-06-01T14': 1000, '2024-06-01T17': 1000 });
  });

  it('adds up overlapping jobs and refuses one that would bring any of its hours over the rate', async () => {
    moveTo('2024-06-01T10:00:00.000Z');
    await retrieve(2000); // 10-13: 500 each
    moveTo('2024-06-01T12:30:00.000Z');
    await retrieve(2000); // 12, 13: 1000; 14, 15: 500
    moveTo('2024-06-01T13:10:00.000Z');
    await expect(retrieve(4)).rejects.toEqual(enforced); // 13:00 would be 1001
    moveTo('2024-06-01T14:00:00.000Z');
    await expect(retrieve(2004)).rejects.toEqual(enforced); // 14:00 would be 500 + 501
    await retrieve(2000); // 14, 15: 1000; 16, 17: 500
    expect(await ledger()).toEqual({
      '2024-06-01T10': 500,
      '2024-06-01T11': 500,
      '2024-06-01T12': 1000,
      '2024-06-01T13': 1000,
      '2024-06-01T14': 1000,
      '2024-06-01T15': 1000,
      '2024-06-01T16': 500,
      '2024-06-01T17': 500,
    });
  });

  it('spreads bytes that do not divide by 4 so the shares add up exactly, the first hours taking the extra', async () => {
    await expect(retrieve(4001)).rejects.toEqual(enforced); // 1001 + 1000 + 1000 + 1000
    await retrieve(3999); // 1000 + 1000 + 1000 + 999
    expect(Object.values(await ledger())).toEqual([1000, 1000, 1000, 999]);
    await expect(retrieve(2)).rejects.toEqual(enforced);
  });

  it('does not count a refused retrieval', async () => {
    await expect(retrieve(8000)).rejects.toEqual(enforced);
    expect(await ledger()).toEqual({});
    await retrieve(4000);
  });

  it('applies to Standard retrievals only, and counts no others', async () => {
    await retrieve(10 * MiB, 'Expedited');
    await retrieve(10 * MiB, 'Bulk');
    expect(await ledger()).toEqual({});
    await retrieve(4000, 'Standard');
  });

  it('counts retrievals started under No Retrieval Limit against a policy set later', async () => {
    await setPolicy({ Strategy: 'None' });
    await retrieve(100_000);
    await retrieve(100_000);
    await setPolicy({ Strategy: 'BytesPerHour', BytesPerHour: 50_000 });
    await expect(retrieve(4)).rejects.toEqual(enforced); // 10:00-13:00 are at 2 x 25,000 already
    moveTo('2024-06-01T14:00:00.000Z');
    await retrieve(200_000);
  });

  it('keeps the rate when retrievals start concurrently', async () => {
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => retrieve(1600))); // 400 an hour each
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(2);
    expect(outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => (outcome as PromiseRejectedResult).reason)).toEqual(
      Array(3).fill(enforced),
    );
    expect(Object.values(await ledger())).toEqual([800, 800, 800, 800]);
  });

  it('counts every one of many retrievals started at once on one account', async () => {
    // All of them collide on the account's ledger; backing off lets each write in turn.
    await Promise.all(Array.from({ length: 40 }, () => retrieve(4)));
    expect(Object.values(await ledger())).toEqual([40, 40, 40, 40]);
  });

  describe('when the ledger stays contended past every retry', () => {
    beforeEach(() => {
      // The backoff's waits run on fake timers, run out at once by settled().
      jest.useFakeTimers();
      const set = svc.accounts.setAccountSetting.bind(svc.accounts) as (...args: unknown[]) => Promise<boolean>;
      // Another writer always comes first to the ledger; other settings are written as usual.
      jest
        .spyOn(svc.accounts, 'setAccountSetting')
        .mockImplementation(async (accountId, name, value, expected) =>
          name === 'retrievalLedger' ? false : set(accountId, name, value, expected),
        );
    });
    afterEach(() => jest.useRealTimers());
    const settled = async <T>(promise: Promise<T>) => {
      const outcome = promise.then(
        (value) => ({ value }),
        (reason: unknown) => ({ reason }),
      );
      await jest.runAllTimersAsync();
      return outcome;
    };

    it('lets a retrieval go ahead uncounted under No Retrieval Limit', async () => {
      await setPolicy({ Strategy: 'None' });
      expect(await settled(retrieve(4000))).toEqual({ value: undefined });
      expect(await ledger()).toEqual({});
    });

    it('refuses with a retryable ServiceUnavailableException under a limit, rather than risk exceeding it', async () => {
      await setPolicy({ Strategy: 'BytesPerHour', BytesPerHour: 1_000_000 });
      expect(await settled(retrieve(4000))).toEqual({
        reason: error('ServiceUnavailableException', 'Retrievals are being started concurrently on this account; try again.'),
      });
    });
  });

  it('keeps only the hours from the start of the current UTC day', async () => {
    moveTo('2024-06-01T22:00:00.000Z');
    await retrieve(4000); // 22, 23, then 00 and 01 of June 2
    moveTo('2024-06-02T09:00:00.000Z');
    await retrieve(400);
    expect(await ledger()).toEqual({
      '2024-06-02T00': 1000,
      '2024-06-02T01': 1000,
      '2024-06-02T09': 100,
      '2024-06-02T10': 100,
      '2024-06-02T11': 100,
      '2024-06-02T12': 100,
    });
  });
});

describe('the Free Tier Only policy', () => {
  beforeEach(() => setPolicy({ Strategy: 'FreeTier' }));

  it('allows 10 GiB a month prorated over the days of the month', () => {
    const allowance = (iso: string) => dailyFreeAllowance(Math.floor(Date.parse(iso) / HOUR));
    expect(allowance('2024-06-15T00:00:00Z')).toBe(357_913_941); // 10,737,418,240 / 30
    expect(allowance('2024-01-31T23:00:00Z')).toBe(346_368_330); // / 31
    expect(allowance('2024-02-10T05:00:00Z')).toBe(370_255_801); // / 29, a leap year
    expect(allowance('2023-02-10T05:00:00Z')).toBe(383_479_222); // / 28
    // The Developer Guide's "free tier policy rate of 14 MB per hour".
    expect(Math.floor(allowance('2024-06-15T00:00:00Z') / 24 / MiB)).toBe(14);
  });

  it('refuses retrievals beyond the daily allowance, and allows them again the next day', async () => {
    const allowance = 357_913_941;
    await retrieve(allowance - 1000);
    await retrieve(1000);
    await expect(retrieve(1)).rejects.toEqual(enforced);
    await retrieve(1, 'Expedited');
    moveTo('2024-06-01T20:00:00.000Z'); // 20-23 are still June 1
    await expect(retrieve(4)).rejects.toEqual(enforced);
    moveTo('2024-06-02T00:00:00.000Z');
    await retrieve(allowance);
  });

  it('counts a retrieval that spans midnight against each day for the hours in it', async () => {
    const half = Math.floor(357_913_941 / 2); // 178,956,970
    moveTo('2024-06-02T22:30:00.000Z');
    await retrieve(4 * half); // 22, 23 of June 2 and 00, 01 of June 3: 357,913,940 a day
    expect(await ledger()).toEqual({ '2024-06-02T22': half, '2024-06-02T23': half, '2024-06-03T00': half, '2024-06-03T01': half });
    moveTo('2024-06-03T12:00:00.000Z');
    await expect(retrieve(4)).rejects.toEqual(enforced); // 1 byte over June 3's allowance
    await retrieve(1); // 1, 0, 0, 0: June 3 at exactly its allowance
    await expect(retrieve(1)).rejects.toEqual(enforced);
  });

  it('refuses a retrieval larger than a day allows, whatever was retrieved before', async () => {
    await expect(retrieve(357_913_942)).rejects.toEqual(enforced);
    expect(await ledger()).toEqual({});
  });
});

describe('No Retrieval Limit', () => {
  it('never refuses', async () => {
    await retrieve(10 * 2 ** 40);
    await retrieve(10 * 2 ** 40);
    expect(Object.values(await ledger())).toEqual(Array(4).fill(2 * 2.5 * 2 ** 40));
  });
});

describe('InitiateJob under a data retrieval policy', () => {
  beforeEach(async () => {
    await createVault(svc, ACCOUNT, 'v');
  });

  const job = (params: Record<string, unknown>) => initiateJob(svc, ACCOUNT, 'v', parseJobRequest(body(params)));

  it('refuses a Standard archive retrieval over the rate with PolicyEnforcedException, storing no job', async () => {
    const { archiveId } = await upload(svc, 'v', Buffer.alloc(8192, 1));
    await setPolicy({ Strategy: 'BytesPerHour', BytesPerHour: 2047 });
    await expect(job({ Type: 'archive-retrieval', ArchiveId: archiveId })).rejects.toEqual(enforced);
    await expect(job({ Type: 'archive-retrieval', ArchiveId: archiveId, Tier: 'Standard' })).rejects.toThrow(POLICY_ENFORCED_MESSAGE);
    expect((await svc.jobs.listJobs(ACCOUNT, 'v', {}, undefined, 10)).items).toEqual([]);

    await job({ Type: 'archive-retrieval', ArchiveId: archiveId, Tier: 'Expedited' });
    await job({ Type: 'archive-retrieval', ArchiveId: archiveId, Tier: 'Bulk' });
    await setPolicy({ Strategy: 'BytesPerHour', BytesPerHour: 2048 });
    await job({ Type: 'archive-retrieval', ArchiveId: archiveId });
    expect((await svc.jobs.listJobs(ACCOUNT, 'v', {}, undefined, 10)).items).toHaveLength(3);
  });

  it('counts the bytes of the requested range, not of the whole archive', async () => {
    const { archiveId } = await upload(svc, 'v', Buffer.alloc(3 * MiB, 2));
    await setPolicy({ Strategy: 'BytesPerHour', BytesPerHour: MiB / 4 });
    await expect(job({ Type: 'archive-retrieval', ArchiveId: archiveId })).rejects.toEqual(enforced);
    await job({ Type: 'archive-retrieval', ArchiveId: archiveId, RetrievalByteRange: `${MiB}-${2 * MiB - 1}` });
    expect(Object.values(await ledger())).toEqual(Array(4).fill(MiB / 4));
  });

  it('does not apply to inventory retrievals, nor to a retrieval of a deleted archive, which fails instead', async () => {
    const { archiveId } = await upload(svc, 'v', Buffer.alloc(8192, 3));
    await inventoryVault(svc, (await svc.metadata.getVault(ACCOUNT, 'v'))!);
    await deleteArchive(svc, ACCOUNT, 'v', archiveId);
    await setPolicy({ Strategy: 'BytesPerHour', BytesPerHour: 1 });
    await job({ Type: 'inventory-retrieval' });
    const { jobId } = await job({ Type: 'archive-retrieval', ArchiveId: archiveId });
    expect((await svc.jobs.getJob(ACCOUNT, 'v', jobId))?.status).toBe('Failed');
    expect(await ledger()).toEqual({});
  });
});
