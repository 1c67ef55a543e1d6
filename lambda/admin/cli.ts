// The admin command: `npx coldvault keys|users|import|inventory|vaults ...`, on a local data directory or a deployed table.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ENV, LOCAL_DEFAULTS, readAdminEnv, silenceSdkNodeNotice } from '../config';
import { parsePolicy } from '../domain/policy';
import { GlacierError } from '../domain/errors';
import { DynamoIdentityStore } from '../store/dynamo-identities';
import type { IdentityStore } from '../domain/ports';
import { runVaultCommand, VAULT_COMMANDS, VAULT_USAGE } from './vault-cli';
import { accountOption, parseOptions, UsageError } from './usage';
import { LocalStoresError, openLocalStores } from './local-stores';
import { sealedIdentities, secretSealer } from '../wiring';

export const USAGE = `usage: coldvault <command> [options]

  keys create --account ID [--user NAME]     create an access key (a user's, or the account's root key);
                                             the secret is shown once, here
  keys list [--account ID]                   list keys (without their secrets)
  keys revoke ACCESS_KEY_ID                  revoke a key: requests signed with it are refused
  users create NAME --account ID [--policy POLICY]
  users put-policy NAME --account ID --policy POLICY
  users get NAME --account ID
  users list --account ID
  users delete NAME --account ID
${VAULT_USAGE}

POLICY is an IAM policy document (JSON text, or @file). A user with no policy may do nothing.

Where: the local data directory (--data-dir, or ${ENV.dataDir}, default ${LOCAL_DEFAULTS.dataDir}),
whether or not a local server runs on it (${ENV.stores} says which stores, as for the
server); or a deployed table: --table NAME --secrets-key KMS_KEY_ID [--region REGION] with
your AWS credentials (the key that seals secrets: the stack's output SecretsKeyId; import,
inventory and vaults also take --bucket NAME [--storage-class CLASS], the deployment's
bucket and storage class).`;

interface Target {
  identities: IdentityStore;
  close(): Promise<void>;
}

async function openTarget(options: { 'data-dir'?: string; table?: string; region?: string; 'secrets-key'?: string }): Promise<Target> {
  const env = readAdminEnv();
  if (options.table) {
    const region = options.region ?? env.region;
    if (!region) throw new UsageError('--table needs --region (or AWS_REGION)');
    const keyId = options['secrets-key'] ?? env.secretsKeyId;
    if (!keyId) throw new UsageError(`--table needs --secrets-key (or ${ENV.secretsKeyId}): the KMS key that seals secrets`);
    const sealer = secretSealer({ region, secretSealing: { kind: 'kms', keyId } });
    const store = new DynamoIdentityStore(new DynamoDBClient({ region }), options.table);
    return { identities: sealedIdentities(store, sealer), close: async () => undefined };
  }
  let local;
  try {
    local = await openLocalStores(options['data-dir'] ?? env.dataDir, env.stores);
  } catch (error) {
    if (error instanceof LocalStoresError) throw new UsageError(error.message);
    throw error;
  }
  return { identities: sealedIdentities(local.stores.identities, secretSealer(local.config)), close: local.close };
}

function readPolicyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`Can't read the policy file ${path}: ${(error as Error).message}`);
  }
}

function policyText(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const text = value.startsWith('@') ? readPolicyFile(value.slice(1)) : value;
  parsePolicy(text, 'identity');
  return text;
}

function newAccessKeyId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return `AKCV${Array.from(randomBytes(16), (byte) => alphabet[byte % 32]).join('')}`;
}

function parseArguments(argv: string[]) {
  return parseOptions(
    argv,
    {
      account: { type: 'string' },
      user: { type: 'string' },
      policy: { type: 'string' },
      'data-dir': { type: 'string' },
      table: { type: 'string' },
      region: { type: 'string' },
      'secrets-key': { type: 'string' },
    },
    USAGE,
  );
}

/** Runs one admin command; returns what to print. */
export async function runAdmin(argv: string[], now = new Date()): Promise<unknown> {
  const { values, positionals } = parseArguments(argv);
  const [group, command, name] = positionals;
  const known = { keys: ['create', 'list', 'revoke'], users: ['create', 'put-policy', 'get', 'list', 'delete'] } as Record<
    string,
    string[]
  >;
  if (!group || !known[group]?.includes(command)) throw new UsageError(USAGE);
  const needsName = (group === 'keys' && command === 'revoke') || (group === 'users' && command !== 'list');
  if (needsName && !name) throw new UsageError(`${group} ${command} needs a name\n\n${USAGE}`);

  const policy = policyText(values.policy);
  const target = await openTarget(values);
  try {
    const store = target.identities;
    if (group === 'keys' && command === 'create') {
      const accountId = accountOption(values.account);
      // An empty --user must not fall back to the account's root key.
      if (values.user === '') throw new UsageError('--user needs a user NAME');
      if (values.user && !(await store.getUser(accountId, values.user)))
        throw new UsageError(`No user ${values.user} in account ${accountId}`);
      const key = {
        accessKeyId: newAccessKeyId(),
        secretAccessKey: randomBytes(30).toString('base64'),
        accountId,
        ...(values.user && { userName: values.user }),
        createdDate: now.toISOString(),
        status: 'Active' as const,
      };
      await store.putKey(key);
      return key;
    }
    if (group === 'keys' && command === 'list') {
      const keys = await store.listKeys(values.account === undefined ? undefined : accountOption(values.account));
      return keys.map(({ secretAccessKey: _secret, ...rest }) => rest);
    }
    if (group === 'keys' && command === 'revoke') {
      if (!(await store.revokeKey(name))) throw new UsageError(`No key ${name}`);
      return { accessKeyId: name, status: 'Revoked' };
    }
    const accountId = accountOption(values.account);
    if (command === 'list') return store.listUsers(accountId);
    const existing = await store.getUser(accountId, name);
    if (command === 'create') {
      if (existing) throw new UsageError(`User ${name} already exists in account ${accountId}`);
      if (!/^[\w+=,.@-]{1,64}$/.test(name)) throw new UsageError('A user name is 1 to 64 of letters, digits and +=,.@_-');
      const user = { accountId, userName: name, createdDate: now.toISOString(), ...(policy !== undefined && { policy }) };
      await store.putUser(user);
      return user;
    }
    if (!existing) throw new UsageError(`No user ${name} in account ${accountId}`);
    if (command === 'get') return existing;
    if (command === 'put-policy') {
      if (policy === undefined) throw new UsageError('users put-policy needs --policy');
      const user = { ...existing, policy };
      await store.putUser(user);
      return user;
    }
    await store.deleteUser(accountId, name);
    for (const key of await store.listKeys(accountId))
      if (key.userName === name && key.status === 'Active') await store.revokeKey(key.accessKeyId);
    return { accountId, userName: name, deleted: true };
  } finally {
    await target.close();
  }
}

/** The first word that is neither an option nor an option's value (every option takes one but the flags). */
function commandOf(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i += 1) {
    if (!argv[i].startsWith('-')) return argv[i];
    if (!argv[i].includes('=') && !['--yes', '--verify'].includes(argv[i])) i += 1;
  }
  return undefined;
}

export async function main(argv: string[]): Promise<number> {
  silenceSdkNodeNotice();
  if (VAULT_COMMANDS.includes(commandOf(argv) ?? '')) {
    return runVaultCommand(argv, {
      out: (line) => console.log(line),
      err: (line) => console.error(line),
      tty: process.stdout.isTTY === true,
    });
  }
  try {
    console.log(JSON.stringify(await runAdmin(argv), null, 2));
    return 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof GlacierError) console.error(error.message);
    else console.error('coldvault:', error);
    return error instanceof UsageError || error instanceof GlacierError ? 2 : 1;
  }
}
