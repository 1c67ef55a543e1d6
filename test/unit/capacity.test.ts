import { MAX_CAPACITY_UNITS, capacityExpiration, listProvisionedCapacity, purchaseProvisionedCapacity } from '../../lambda/domain/capacity';
import { MemoryMetadataStore, memoryServices, type MemoryServices } from '../support/memory-stores';
import { ACCOUNT } from '../support/domain-helpers';

const DAY = 24 * 60 * 60 * 1000;
let svc: MemoryServices;

beforeEach(() => {
  svc = memoryServices(new MemoryMetadataStore(), Date.parse('2024-06-10T08:15:30.250Z'));
});

const purchase = (accountId = ACCOUNT) => purchaseProvisionedCapacity(svc, accountId);
const limit = expect.objectContaining({
  code: 'LimitExceededException',
  message: `The account ${ACCOUNT} already has the maximum number of provisioned capacity units (2).`,
});

describe('capacityExpiration', () => {
  const expiry = (iso: string) => capacityExpiration(new Date(iso)).toISOString();

  it('is one month after the start, to the second, as in the Developer Guide examples', () => {
    expect(expiry('2016-12-13T20:11:51.095Z')).toBe('2017-01-13T20:11:51.000Z');
    expect(expiry('2017-01-31T14:26:33.031Z')).toBe('2017-02-28T14:26:33.000Z');
    expect(expiry('2024-06-10T08:15:30.250Z')).toBe('2024-07-10T08:15:30.000Z');
  });

  it('is the last day of the next month when that month has no such day', () => {
    expect(expiry('2017-08-31T00:00:00.000Z')).toBe('2017-09-30T00:00:00.000Z');
    expect(expiry('2024-01-31T12:00:00.000Z')).toBe('2024-02-29T12:00:00.000Z');
    expect(expiry('2023-01-29T12:00:00.000Z')).toBe('2023-02-28T12:00:00.000Z');
    expect(expiry('2023-12-31T23:59:59.999Z')).toBe('2024-01-31T23:59:59.000Z');
  });
});

describe('PurchaseProvisionedCapacity and ListProvisionedCapacity', () => {
  it('lists nothing before a purchase', async () => {
    expect(await listProvisionedCapacity(svc, ACCOUNT)).toEqual([]);
  });

  it('buys a unit that starts now and expires a month later', async () => {
    const id = await purchase();
    expect(id).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(await listProvisionedCapacity(svc, ACCOUNT)).toEqual([
      { capacityId: id, startDate: '2024-06-10T08:15:30.250Z', expirationDate: '2024-07-10T08:15:30.000Z' },
    ]);
  });

  it(`allows ${MAX_CAPACITY_UNITS} units at a time and refuses a third with LimitExceededException`, async () => {
    const first = await purchase();
    svc.advance(DAY);
    const second = await purchase();
    await expect(purchase()).rejects.toEqual(limit);
    expect((await listProvisionedCapacity(svc, ACCOUNT)).map((unit) => unit.capacityId)).toEqual([second, first]);
    // Each account has its own limit.
    await purchase('210987654321');
  });

  it('does not count expired units against the limit, and still lists them, newest first', async () => {
    const first = await purchase();
    svc.advance(10 * DAY);
    const second = await purchase();
    svc.advance(20 * DAY); // 2024-07-10T08:15:30.250Z: the first expired at 08:15:30.000
    const third = await purchase();
    await expect(purchase()).rejects.toEqual(limit);
    const units = await listProvisionedCapacity(svc, ACCOUNT);
    expect(units.map((unit) => unit.capacityId)).toEqual([third, second, first]);
    expect(units[2].expirationDate).toBe('2024-07-10T08:15:30.000Z');
  });

  it('counts a unit until its expiration date', async () => {
    await purchase();
    await purchase();
    svc.advance(Date.parse('2024-07-10T08:15:29.999Z') - svc.now().getTime());
    await expect(purchase()).rejects.toEqual(limit);
    svc.advance(1);
    await purchase();
    await purchase();
  });

  it('keeps the limit when purchases are made concurrently', async () => {
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => purchase()));
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(2);
    expect(await listProvisionedCapacity(svc, ACCOUNT)).toHaveLength(2);
  });
});
