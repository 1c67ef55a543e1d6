import { parseJsonObject } from './json-body';
import { GlacierError, invalidParameter, missingParameter } from './errors';
import { CONFLICT, retryOnConflict } from './compare-and-set';
import type { Services } from './services';
import type { DataRetrievalRule, RetrievalLedger, RetrievalStrategy } from './account-ports';
import type { Tier } from './ports';

const HOUR_MS = 60 * 60 * 1000;
/** Glacier counted a Standard retrieval (3-5 hours) as spread evenly over 4 hours. */
export const STANDARD_RETRIEVAL_HOURS = 4;
/** The free tier: 10 GB of Standard retrievals a month, prorated daily. */
export const FREE_TIER_BYTES_PER_MONTH = 10 * 2 ** 30;
/** The Developer Guide's default: No Retrieval Limit. */
export const DEFAULT_RETRIEVAL_POLICY: DataRetrievalRule = { strategy: 'None' };
const MAX_BYTES_PER_HOUR = 2n ** 63n - 1n;
const STRATEGIES: readonly RetrievalStrategy[] = ['BytesPerHour', 'FreeTier', 'None'];

export const POLICY_ENFORCED_MESSAGE = 'InitiateJob request denied by current data retrieval policy.';

/**
 * BytesPerHour may be up to 2^63-1, beyond a double's exact integers: the bound is checked on
 * the number as written in the body, and the policy keeps the nearest double.
 */
function parseBytesPerHour(value: unknown, body: Buffer): number {
  const literal = /"BytesPerHour"\s*:\s*(-?\d+)\s*[,}]/.exec(body.toString('utf8'))?.[1];
  const exact = literal !== undefined && Number(literal) === value ? BigInt(literal) : undefined;
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    (exact ?? BigInt(value)) < 1n ||
    (exact ?? BigInt(value)) > MAX_BYTES_PER_HOUR
  ) {
    throw invalidParameter(`Invalid BytesPerHour: ${JSON.stringify(value)}. It must be a whole number from 1 to ${MAX_BYTES_PER_HOUR}.`);
  }
  return value;
}

/** SetDataRetrievalPolicy's body: {"Policy": {"Rules": [{"Strategy": ..., "BytesPerHour": ...}]}}, exactly one rule. */
export function parseRetrievalPolicy(body: Buffer): DataRetrievalRule {
  const policy = parseJsonObject(body).Policy;
  if (policy === undefined || policy === null) throw missingParameter('Required parameter missing: Policy');
  if (typeof policy !== 'object' || Array.isArray(policy))
    throw invalidParameter('Invalid Policy: it must be an object with a Rules list.');
  const rules = (policy as { Rules?: unknown }).Rules;
  if (rules === undefined || rules === null) throw missingParameter('Required parameter missing: Rules');
  if (!Array.isArray(rules) || rules.length !== 1) throw invalidParameter('Invalid Rules: a data retrieval policy has exactly one rule.');
  const rule = rules[0] as { Strategy?: unknown; BytesPerHour?: unknown };
  if (typeof rule !== 'object' || rule === null) throw invalidParameter('Invalid rule: it must be an object with a Strategy.');
  if (rule.Strategy === undefined || rule.Strategy === null) throw missingParameter('Required parameter missing: Strategy');
  if (typeof rule.Strategy !== 'string' || !(STRATEGIES as readonly string[]).includes(rule.Strategy)) {
    throw invalidParameter(`Invalid Strategy: ${JSON.stringify(rule.Strategy)}. Valid strategies are ${STRATEGIES.join(', ')}.`);
  }
  const strategy = rule.Strategy as RetrievalStrategy;
  const hasBytes = rule.BytesPerHour !== undefined && rule.BytesPerHour !== null;
  if (strategy !== 'BytesPerHour') {
    if (hasBytes)
      throw invalidParameter(`Invalid rule: BytesPerHour is allowed only with the BytesPerHour strategy, not with ${strategy}.`);
    return { strategy };
  }
  if (!hasBytes) throw missingParameter('Required parameter missing: BytesPerHour (the BytesPerHour strategy needs it)');
  return { strategy, bytesPerHour: parseBytesPerHour(rule.BytesPerHour, body) };
}

export async function setDataRetrievalPolicy(svc: Services, accountId: string, body: Buffer): Promise<void> {
  await svc.accounts.setAccountSetting(accountId, 'retrievalPolicy', parseRetrievalPolicy(body));
}

export async function getDataRetrievalPolicy(svc: Services, accountId: string): Promise<DataRetrievalRule> {
  return (await svc.accounts.getAccountSetting(accountId, 'retrievalPolicy')) ?? DEFAULT_RETRIEVAL_POLICY;
}

/** `bytes` split into `parts` whole shares that add up to it exactly. */
function shares(bytes: number, parts: number): number[] {
  const base = Math.floor(bytes / parts);
  return Array.from({ length: parts }, (_, i) => base + (i < bytes - base * parts ? 1 : 0));
}

/** The prorated daily free allowance for the UTC day that `hour` falls in. */
export function dailyFreeAllowance(hour: number): number {
  const day = new Date(hour * HOUR_MS);
  const daysInMonth = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth() + 1, 0)).getUTCDate();
  return Math.floor(FREE_TIER_BYTES_PER_MONTH / daysInMonth);
}

/**
 * Whether the policy refuses a ledger that now includes a new job over `hours`.
 * - BytesPerHour: the peak rate, that is any of those hours' totals, may not exceed it.
 * - FreeTier: no UTC day those hours touch may total more than its daily free allowance.
 */
function refuses(rule: DataRetrievalRule, ledger: Map<number, number>, hours: number[]): boolean {
  if (rule.strategy === 'BytesPerHour') return hours.some((hour) => (ledger.get(hour) ?? 0) > (rule.bytesPerHour as number));
  if (rule.strategy === 'FreeTier') {
    const days = new Set(hours.map((hour) => Math.floor(hour / 24)));
    return [...days].some((day) => {
      let total = 0;
      for (const [hour, bytes] of ledger) if (Math.floor(hour / 24) === day) total += bytes;
      return total > dailyFreeAllowance(day * 24);
    });
  }
  return false;
}

/**
 * Enforces the account's data retrieval policy on an archive retrieval, and counts it.
 *
 * Glacier's rule, as its Developer Guide and FAQ described it: a policy applies to Standard
 * retrievals only. Retrievals were measured as a rate per clock hour: a Standard retrieval
 * of S bytes counts S/4 against each of the 4 hours from the hour it was initiated in
 * (Glacier's pricing took Standard's 3-5 hours as 4). So 1 GiB initiated at 10:20 counts
 * 256 MiB against 10:00, 11:00, 12:00 and 13:00, and a second 1 GiB at 11:05 brings 11:00-13:00
 * to 512 MiB and 14:00 to 256 MiB.
 * - BytesPerHour R: a retrieval is refused if it would bring any of its 4 hours over R
 *   ("the peak retrieval rate of the in-progress jobs").
 * - FreeTier: "you cannot retrieve more data in a day than your prorated daily free
 *   retrieval allowance": 10 GiB a month / days in that month (June: 357,913,941 bytes a
 *   day; /24 is the guide's "free tier policy rate of 14 MB per hour"). A retrieval is
 *   refused if any UTC day its hours touch would total more than that day's allowance. This
 *   is exactly when Glacier's bill had a free peak hour: the billable peak was
 *   peakHour - (peakHour / peakDay) * dailyAllowance, zero or less iff peakDay <= allowance.
 * - None refuses nothing. Every Standard retrieval is counted whatever the policy, because a
 *   policy set later still sees the jobs in progress; a refused one is not counted. Under None
 *   the count is best effort: a retrieval is never refused for want of it.
 * The ledger keeps hours from the start of the current UTC day on, in one account item
 * updated by compare-and-set, so concurrent retrievals can't both take the last room.
 */
export async function enforceRetrievalPolicy(svc: Services, accountId: string, tier: Tier, bytes: number): Promise<void> {
  if (tier !== 'Standard' || bytes <= 0) return;
  const rule = await getDataRetrievalPolicy(svc, accountId);
  const first = Math.floor(svc.now().getTime() / HOUR_MS);
  const hours = Array.from({ length: STANDARD_RETRIEVAL_HOURS }, (_, i) => first + i);
  const keepFrom = Math.floor(first / 24) * 24;
  const counted = retryOnConflict(async () => {
    const stored = await svc.accounts.getAccountSetting(accountId, 'retrievalLedger');
    const ledger = new Map((stored ?? []).filter((entry) => entry.hour >= keepFrom).map((entry) => [entry.hour, entry.bytes]));
    shares(bytes, hours.length).forEach((share, i) => ledger.set(hours[i], (ledger.get(hours[i]) ?? 0) + share));
    if (refuses(rule, ledger, hours)) throw new GlacierError('PolicyEnforcedException', POLICY_ENFORCED_MESSAGE);
    const next: RetrievalLedger = [...ledger].sort(([a], [b]) => a - b).map(([hour, total]) => ({ hour, bytes: total }));
    return (await svc.accounts.setAccountSetting(accountId, 'retrievalLedger', next, stored ?? null)) ? undefined : CONFLICT;
  }, 'Retrievals are being started concurrently on this account; try again.');
  try {
    await counted;
  } catch (error) {
    // With no limit to keep, a retrieval never waits on the count: under heavy contention for
    // the account's ledger it goes ahead uncounted (only a policy set within hours would miss it).
    if (rule.strategy === 'None' && error instanceof GlacierError && error.code === 'ServiceUnavailableException') return;
    throw error;
  }
}
