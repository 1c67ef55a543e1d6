import { invalidParameter, notFound } from './errors';
import { parseJsonObject } from './json-body';
import { JOB_EVENTS } from './jobs/common';
import { vaultArn } from './names';
import { requireVault, vaultNotFound } from './vaults';
import type { Services } from './services';
import type { VaultNotificationConfig } from './ports';

const EVENTS: readonly string[] = Object.values(JOB_EVENTS);

function validateSnsTopic(topic: string): void {
  if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(topic)) {
    throw invalidParameter(`Invalid SNSTopic: ${topic}. It must be the ARN of an SNS topic.`);
  }
}

/** SetVaultNotifications' body: {"SNSTopic": "...", "Events": [...]}, as the model's vaultNotificationConfig payload. */
/**
 * A topic a vault or job of `accountId` may name: one of that account's own, or of an account
 * the service is configured to allow. The service publishes with its own permissions, so a
 * topic elsewhere would let a tenant publish into someone else's topics (the operator's alarms).
 */
export function validateTopicAccount(svc: Services, accountId: string, topic: string): void {
  validateSnsTopic(topic);
  const topicAccount = topic.split(':')[4];
  if (topicAccount !== accountId && !(svc.snsTopicAccounts ?? []).includes(topicAccount)) {
    throw invalidParameter(`Invalid SNSTopic: ${topic}. The topic must be in this vault's account (${accountId}).`);
  }
}

function parseConfig(svc: Services, accountId: string, body: Buffer): VaultNotificationConfig {
  const parsed = parseJsonObject(body);
  if (typeof parsed.SNSTopic !== 'string')
    throw invalidParameter('Invalid vault notification configuration: SNSTopic must be the ARN of an SNS topic.');
  validateTopicAccount(svc, accountId, parsed.SNSTopic);
  const named = parsed.Events;
  const known = EVENTS;
  if (!Array.isArray(named) || named.length === 0 || named.some((event) => typeof event !== 'string' || !known.includes(event))) {
    throw invalidParameter(`Invalid vault notification configuration: Events must list one or more of ${known.join(', ')}.`);
  }
  return { snsTopic: parsed.SNSTopic, events: [...new Set(named as string[])] };
}

export async function setVaultNotifications(svc: Services, accountId: string, vaultName: string, body: Buffer): Promise<void> {
  const config = parseConfig(svc, accountId, body);
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
