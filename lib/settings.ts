import type { Node } from 'constructs';
import { STORAGE_CLASSES, type StorageClass } from '../lambda/config';

export interface ColdvaultSettings {
  /** Environment name: the stack is `coldvault-<envName>` and the API stage is named after it. */
  envName: string;
  storageClass: StorageClass;
  /** Access key ID of the root key; its secret is generated into Secrets Manager. */
  rootAccessKeyId: string;
}

function context(node: Node, name: string): string | undefined {
  const value: unknown = node.tryGetContext(name);
  if (value === undefined || value === null || value === '') return undefined;
  return String(value);
}

/** Reads the deployment settings from CDK context (`-c env=prod -c storageClass=DEEP_ARCHIVE`). */
export function readSettings(node: Node): ColdvaultSettings {
  const envName = context(node, 'env') ?? 'dev';
  if (!/^[A-Za-z][A-Za-z0-9-]{0,39}$/.test(envName)) {
    throw new Error(`Context "env" must start with a letter and hold only letters, digits and hyphens (at most 40), got "${envName}"`);
  }
  const storageClass = context(node, 'storageClass') ?? 'GLACIER';
  if (!(STORAGE_CLASSES as readonly string[]).includes(storageClass)) {
    throw new Error(`Context "storageClass" must be one of ${STORAGE_CLASSES.join(', ')}, got "${storageClass}"`);
  }
  const rootAccessKeyId = context(node, 'rootAccessKeyId') ?? `AKIDCOLDVAULT${envName.toUpperCase().replace(/[^A-Z0-9]/g, '')}`;
  if (!/^[A-Za-z0-9]{1,128}$/.test(rootAccessKeyId)) {
    throw new Error(`Context "rootAccessKeyId" must be at most 128 letters or digits, got "${rootAccessKeyId}"`);
  }
  return { envName, storageClass: storageClass as StorageClass, rootAccessKeyId };
}
