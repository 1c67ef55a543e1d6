import { invalidParameter, notFound } from './errors';
import { parseJsonObject } from './json-body';
import { JOB_EVENTS, validateSnsTopic } from './jobs';
import { vaultArn } from './names';
import { requireVault, vaultNotFound } from './vaults';
import type { Services } from './services';
import type { VaultNotificationConfig } from './ports';

const EVENTS: readonly string[] = Object.values(JOB_EVENTS);

/** SetVaultNotifications' body: {"SNSTopic": "...", "Events": [...]}, as the model's vaultNotificationConfig payload. */
function parseConfig(body: Buffer): VaultNotificationConfig {
  const parsed = parseJsonObject(body);
  if (typeof parsed.SNSTopic !== 'string')
    throw invalidParameter('Invalid vault notification configuration: SNSTopic must be the ARN of an SNS topic.');
  validateSnsTopic(parsed.SNSTopic);
  const events = parsed.Events;
  if (!Array.isArray(events) || events.length === 0 || events.some((event) => typeof event !== 'string' || !EVENTS.includes(event))) {
    throw invalidParameter(`Invalid vault notification configuration: Events must list one or more of ${EVENTS.join(', ')}.`);
  }
  return { snsTopic: parsed.SNSTopic, events: [...new Set(events as string[])] };
}

export async function setVaultNotifications(svc: Services, accountId: string, vaultName: string, body: Buffer): Promise<void> {
  const config = parseConfig(body);
  if (!(await svc.metadata.setVaultSetting(accountId, vaultName, 'notifications', config))) throw vaultNotFound(svc, accountId, vaultName);
}

export async function getVaultNotifications(svc: Services, accountId: string, vaultName: string): Promise<VaultNotificationConfig> {
  const vault = await requireVault(svc, accountId, vaultName);
  if (!vault.notifications)
    throw notFound(`No notification configuration is set for the vault: ${vaultArn(svc.region, accountId, vaultName)}`);
  return vault.notifications;
}

export async function removeVaultNotifications(svc: Services, accountId: string, vaultName: string): Promise<void> {
  if (!(await svc.metadata.setVaultSetting(accountId, vaultName, 'notifications', undefined)))
    throw vaultNotFound(svc, accountId, vaultName);
}
