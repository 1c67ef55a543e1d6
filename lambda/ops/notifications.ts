import { getVaultNotifications, removeVaultNotifications, setVaultNotifications } from '../domain/notifications';
import type { Operation } from './operation';

export const SetVaultNotifications: Operation<'SetVaultNotifications'> = async ({ svc, accountId, params, request }) => {
  await setVaultNotifications(svc, accountId, params.vaultName, await request.body.read());
};

export const GetVaultNotifications: Operation<'GetVaultNotifications'> = async ({ svc, accountId, params }) => {
  const config = await getVaultNotifications(svc, accountId, params.vaultName);
  return { json: { SNSTopic: config.snsTopic, Events: config.events } };
};

export const DeleteVaultNotifications: Operation<'DeleteVaultNotifications'> = async ({ svc, accountId, params }) => {
  await removeVaultNotifications(svc, accountId, params.vaultName);
};
