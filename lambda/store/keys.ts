import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Credentials, KeyStore } from '../domain/ports';

/** Keys known up front: the root key of the deployment's account. */
export class StaticKeyStore implements KeyStore {
  private readonly keys: Map<string, Credentials>;

  constructor(entries: Record<string, Credentials>) {
    this.keys = new Map(Object.entries(entries));
  }

  async lookup(accessKeyId: string): Promise<Credentials | undefined> {
    return this.keys.get(accessKeyId);
  }
}

/** Looks a key up in each store in turn. */
export class LayeredKeyStore implements KeyStore {
  constructor(private readonly layers: KeyStore[]) {}

  async lookup(accessKeyId: string): Promise<Credentials | undefined> {
    for (const layer of this.layers) {
      const found = await layer.lookup(accessKeyId);
      if (found) return found;
    }
    return undefined;
  }
}

/** Reads the root key pair from a Secrets Manager secret holding {accessKeyId, secretAccessKey}. */
export async function rootKeyFromSecret(
  client: SecretsManagerClient,
  secretArn: string,
): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  const out = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  const value = JSON.parse(out.SecretString ?? '{}') as { accessKeyId?: string; secretAccessKey?: string };
  if (!value.accessKeyId || !value.secretAccessKey) throw new Error(`Secret ${secretArn} lacks accessKeyId or secretAccessKey`);
  return { accessKeyId: value.accessKeyId, secretAccessKey: value.secretAccessKey };
}
