import { deleteVaultAccessPolicy, getVaultAccessPolicy, setVaultAccessPolicy } from '../domain/access-policy';
import { abortVaultLock, completeVaultLock, getVaultLock, initiateVaultLock } from '../domain/vault-lock';
import type { Operation } from './operation';

export const SetVaultAccessPolicy: Operation<'SetVaultAccessPolicy'> = async ({ svc, accountId, params, request }) => {
  await setVaultAccessPolicy(svc, accountId, params.vaultName, await request.body.read());
};

export const GetVaultAccessPolicy: Operation<'GetVaultAccessPolicy'> = async ({ svc, accountId, params }) => ({
  json: { Policy: await getVaultAccessPolicy(svc, accountId, params.vaultName) },
});

export const DeleteVaultAccessPolicy: Operation<'DeleteVaultAccessPolicy'> = async ({ svc, accountId, params }) => {
  await deleteVaultAccessPolicy(svc, accountId, params.vaultName);
};

export const InitiateVaultLock: Operation<'InitiateVaultLock'> = async ({ svc, accountId, params, request }) => ({
  headers: { 'x-amz-lock-id': await initiateVaultLock(svc, accountId, params.vaultName, await request.body.read()) },
});

export const CompleteVaultLock: Operation<'CompleteVaultLock'> = async ({ svc, accountId, params }) => {
  await completeVaultLock(svc, accountId, params.vaultName, params.lockId);
};

export const AbortVaultLock: Operation<'AbortVaultLock'> = async ({ svc, accountId, params }) => {
  await abortVaultLock(svc, accountId, params.vaultName);
};

export const GetVaultLock: Operation<'GetVaultLock'> = async ({ svc, accountId, params }) => {
  const lock = await getVaultLock(svc, accountId, params.vaultName);
  return { json: { Policy: lock.policy, State: lock.state, ExpirationDate: lock.expirationDate, CreationDate: lock.creationDate } };
};
