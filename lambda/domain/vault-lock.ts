import { newAlphanumericId } from './ids';
import { sameSecret } from './constant-time';
import { accessDenied, invalidParameter, notFound } from './errors';
import { parseJsonObject } from './json-body';
import { parsePolicy } from './policy';
import { vaultArn } from './names';
import { requireVault, vaultNotFound } from './vaults';
import type { Services } from './services';
import type { VaultLock, VaultRecord } from './ports';

/** An InProgress lock is void unless completed within 24 hours. */
export const LOCK_COMPLETION_WINDOW_MS = 24 * 60 * 60 * 1000;

/** The vault's lock if it is in force: Locked, or InProgress and not yet expired. */
export function activeLock(vault: VaultRecord, now: Date): VaultLock | undefined {
  const lock = vault.lock;
  if (!lock) return undefined;
  if (lock.state === 'InProgress' && Date.parse(lock.expirationDate) <= now.getTime()) return undefined;
  return lock;
}

/** The body of InitiateVaultLock and SetVaultAccessPolicy: {"Policy": "<policy JSON as a string>"}. */
export function policyFromBody(body: Buffer): string {
  const parsed = parseJsonObject(body);
  if (typeof parsed.Policy !== 'string') {
    throw invalidParameter('The request body must be {"Policy": "<the policy document as a JSON string>"}.');
  }
  parsePolicy(parsed.Policy, 'resource');
  return parsed.Policy;
}

export async function initiateVaultLock(svc: Services, accountId: string, vaultName: string, body: Buffer): Promise<string> {
  const policy = policyFromBody(body);
  const vault = await requireVault(svc, accountId, vaultName);
  const now = svc.now();
  const current = activeLock(vault, now);
  const arn = vaultArn(svc.region, accountId, vaultName);
  if (current?.state === 'Locked') throw accessDenied(`The vault lock of ${arn} is Locked: its policy can no longer be changed.`);
  if (current) throw accessDenied(`A vault lock is already in progress for ${arn}: complete it or abort it first.`);
  const lock: VaultLock = {
    state: 'InProgress',
    policy,
    lockId: newAlphanumericId(),
    creationDate: now.toISOString(),
    expirationDate: new Date(now.getTime() + LOCK_COMPLETION_WINDOW_MS).toISOString(),
  };
  if (!(await svc.metadata.setVaultSetting(accountId, vaultName, 'lock', lock, vault.lock ?? null))) {
    throw invalidParameter(`The vault lock of ${arn} changed while this request ran; try again.`);
  }
  return lock.lockId;
}

export async function completeVaultLock(svc: Services, accountId: string, vaultName: string, lockId: string): Promise<void> {
  const vault = await requireVault(svc, accountId, vaultName);
  const lock = activeLock(vault, svc.now());
  const arn = vaultArn(svc.region, accountId, vaultName);
  if (lock?.state === 'Locked') {
    if (sameSecret(lock.lockId, lockId)) return;
    throw accessDenied(`Invalid lock ID: ${lockId}. The vault lock of ${arn} is Locked with another ID.`);
  }
  if (!lock || !sameSecret(lock.lockId, lockId))
    throw invalidParameter(`Invalid lock ID: ${lockId}. No vault lock in progress for ${arn} has that ID.`);
  if (!(await svc.metadata.setVaultSetting(accountId, vaultName, 'lock', { ...lock, state: 'Locked' }, lock))) {
    throw invalidParameter(`The vault lock of ${arn} changed while this request ran; try again.`);
  }
}

/** Idempotent while the lock is InProgress or absent; a Locked lock can't be aborted. */
export async function abortVaultLock(svc: Services, accountId: string, vaultName: string): Promise<void> {
  const vault = await requireVault(svc, accountId, vaultName);
  if (!vault.lock) return;
  if (activeLock(vault, svc.now())?.state === 'Locked') {
    throw accessDenied(`The vault lock of ${vaultArn(svc.region, accountId, vaultName)} is Locked: it can no longer be aborted.`);
  }
  if (!(await svc.metadata.setVaultSetting(accountId, vaultName, 'lock', undefined, vault.lock)))
    throw vaultNotFound(svc, accountId, vaultName);
}

export async function getVaultLock(svc: Services, accountId: string, vaultName: string): Promise<VaultLock> {
  const vault = await requireVault(svc, accountId, vaultName);
  const lock = activeLock(vault, svc.now());
  if (!lock) throw notFound(`No vault lock policy for the vault: ${vaultArn(svc.region, accountId, vaultName)}`);
  return lock;
}
