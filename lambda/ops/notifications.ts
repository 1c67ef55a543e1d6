import { getVaultNotifications, removeVaultNotifications, setVaultNotifications } from '../domain/notifications';
import type { Operation } from './operation';

export const SetVaultNotifications: Operation = async ({ svc, accountId, params, request }) => {
  await setVaultNotifications(svc, accountId, params.vaultName, await request.body.read());
};

export const GetVaultNotifications: Operation = async ({ svc, accountId, params }) => {
  const config = await getVaultNotifications(svc, accountId, params.vaultName);
  return { json: { SNSTopic: config.snsTopic, Events: config.events } };
};

export const DeleteVaultNotifications: Operation = async ({ svc, accountId, params }) => {
  await removeVaultNotifications(svc, accountId, params.vaultName);
};
