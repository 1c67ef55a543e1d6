import { limitExceeded } from './errors';
import { newAlphanumericId } from './ids';
import { CONFLICT, retryOnConflict } from './compare-and-set';
import type { Services } from './services';
import type { CapacityUnit } from './account-ports';

/** Glacier's limit of provisioned capacity units an account may hold at once. */
export const MAX_CAPACITY_UNITS = 2;

/**
 * "Exactly one month after the start date to the nearest second"; from the 31st (or any day
 * the next month lacks) it is the last day of the next month: Jan 31 -> Feb 28, Aug 31 -> Sep 30.
 */
export function capacityExpiration(start: Date): Date {
  const year = start.getUTCFullYear();
  const month = start.getUTCMonth() + 1;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const day = Math.min(start.getUTCDate(), lastDay);
  return new Date(Date.UTC(year, month, day, start.getUTCHours(), start.getUTCMinutes(), start.getUTCSeconds()));
}

const active = (unit: CapacityUnit, nowMs: number) => Date.parse(unit.expirationDate) > nowMs;

/** Expired units don't count against the limit; the limit holds under concurrent purchases (compare-and-set). */
export async function purchaseProvisionedCapacity(svc: Services, accountId: string): Promise<string> {
  return retryOnConflict(async () => {
    const now = svc.now();
    const stored = await svc.accounts.getAccountSetting(accountId, 'capacity');
    const units = stored ?? [];
    if (units.filter((unit) => active(unit, now.getTime())).length >= MAX_CAPACITY_UNITS) {
      throw limitExceeded(`The account ${accountId} already has the maximum number of provisioned capacity units (${MAX_CAPACITY_UNITS}).`);
    }
    const unit: CapacityUnit = {
      capacityId: newAlphanumericId(),
      startDate: now.toISOString(),
      expirationDate: capacityExpiration(now).toISOString(),
    };
    return (await svc.accounts.setAccountSetting(accountId, 'capacity', [...units, unit], stored ?? null)) ? unit.capacityId : CONFLICT;
  }, 'Provisioned capacity is being purchased concurrently on this account; try again.');
}

/** Every unit purchased, expired ones included (as the Developer Guide's example lists them), newest first. */
export async function listProvisionedCapacity(svc: Services, accountId: string): Promise<CapacityUnit[]> {
  const units = (await svc.accounts.getAccountSetting(accountId, 'capacity')) ?? [];
  return [...units].sort((a, b) => (a.startDate < b.startDate ? 1 : a.startDate > b.startDate ? -1 : 0));
}
