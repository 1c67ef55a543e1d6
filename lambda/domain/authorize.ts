import { accessDenied } from './errors';
import { evaluate, parsePolicy, type ContextValue, type PolicyDocument, type PrincipalMatcher } from './policy';
import { vaultArn } from './names';
import { activeLock } from './vault-lock';
import type { Services } from './services';
import type { UserRecord, VaultRecord } from './ports';

/** Who signed the request: an account's root key, or one of its users. */
export interface Principal {
  accountId: string;
  userName?: string;
}

export interface AuthorizationRequest {
  /** The operation's name, as in the route table (the action is glacier:<operation>, or the name itself for coldvault:<operation>). */
  operation: string;
  /** The account whose resources the request acts on. */
  accountId: string;
  vaultName?: string;
  archiveId?: string;
}

export function principalArn(principal: Principal): string {
  return principal.userName ? `arn:aws:iam::${principal.accountId}:user/${principal.userName}` : `arn:aws:iam::${principal.accountId}:root`;
}

/** The resource an operation acts on: the vault, or for account-level operations an ARN of the account's. */
function resourceArn(region: string, request: AuthorizationRequest): string {
  if (request.vaultName !== undefined) return vaultArn(region, request.accountId, request.vaultName);
  if (request.operation === 'ListVaults') return `arn:aws:glacier:${region}:${request.accountId}:vaults/*`;
  if (request.operation.endsWith('DataRetrievalPolicy'))
    return `arn:aws:glacier:${region}:${request.accountId}:policies/retrieval-limit-policy`;
  return `arn:aws:glacier:${region}:${request.accountId}:*`;
}

const parsed = new Map<string, PolicyDocument>();

/** Stored policies were validated when they were set; parsing is cached per text. */
function policyOf(text: string, kind: 'identity' | 'resource'): PolicyDocument {
  let doc = parsed.get(text);
  if (!doc) {
    doc = parsePolicy(text, kind);
    if (parsed.size > 1000) parsed.clear();
    parsed.set(text, doc);
  }
  return doc;
}

/**
 * Glacier's access rules, as IAM evaluates them:
 * - an explicit Deny anywhere (the user's policy, the vault access policy, the vault lock
 *   policy) refuses; a vault lock's Deny binds everyone, the account's root key included;
 * - in its own account, the root key may do everything; a user needs an Allow from its own
 *   policy, or from a vault policy that names the user;
 * - another account needs an Allow from a vault policy that names it (or the user, or '*'),
 *   and a user of that account also needs an Allow from its own policy.
 */
export async function authorize(
  svc: Services,
  users: { getUser(accountId: string, userName: string): Promise<UserRecord | undefined> },
  caller: Principal,
  request: AuthorizationRequest,
): Promise<void> {
  const action = request.operation.includes(':') ? request.operation : `glacier:${request.operation}`;
  const resource = resourceArn(svc.region, request);
  const now = svc.now();
  const vault = request.vaultName === undefined ? undefined : await svc.metadata.getVault(request.accountId, request.vaultName);
  const sameAccount = caller.accountId === request.accountId;
  const user = caller.userName === undefined ? undefined : await users.getUser(caller.accountId, caller.userName);

  const keys: Record<string, ContextValue | undefined> = {
    'aws:PrincipalAccount': caller.accountId,
    'aws:PrincipalArn': principalArn(caller),
    'aws:CurrentTime': now.toISOString(),
    'aws:EpochTime': Math.floor(now.getTime() / 1000),
    ...(caller.userName && { 'aws:username': caller.userName }),
  };
  for (const [tag, value] of Object.entries(vault?.tags ?? {})) keys[`glacier:ResourceTag/${tag}`] = value;
  if (vault && request.archiveId !== undefined) {
    const archive = await svc.metadata.getArchive(request.accountId, vault.vaultName, request.archiveId);
    if (archive) keys['glacier:ArchiveAgeInDays'] = Math.floor((now.getTime() - Date.parse(archive.creationDate)) / 86_400_000);
  }
  const context = { action, resource, keys };

  const callerArn = principalArn(caller);
  const names = (value: string, includeAccount: boolean) =>
    value === '*' ||
    value === callerArn ||
    (includeAccount && (value === caller.accountId || value === `arn:aws:iam::${caller.accountId}:root`));
  // A Deny naming the account applies to all of its identities; an Allow naming it grants
  // its root key, and (from another account) its users as far as their own policy allows.
  const denyMatcher: PrincipalMatcher = (value) => names(value, true);
  const allowMatcher: PrincipalMatcher = (value) => names(value, !sameAccount || caller.userName === undefined);

  const resourcePolicies = vaultPolicies(vault, now);
  const identityPolicy = user?.policy === undefined ? undefined : policyOf(user.policy, 'identity');
  const refused = () => accessDenied(`User: ${callerArn} is not authorized to perform: ${action} on resource: ${resource}`);

  if (identityPolicy && evaluate(identityPolicy, context) === 'Deny') throw refused();
  if (resourcePolicies.some((policy) => evaluate(policy, context, denyMatcher) === 'Deny')) {
    throw accessDenied(
      `User: ${callerArn} is not authorized to perform: ${action} on resource: ${resource} with an explicit deny in a resource-based policy`,
    );
  }
  if (caller.userName === undefined && sameAccount) return;
  if (caller.userName !== undefined && !user) throw refused();

  const resourceAllows = resourcePolicies.some((policy) => evaluate(policy, context, allowMatcher) === 'Allow');
  const identityAllows = identityPolicy !== undefined && evaluate(identityPolicy, context) === 'Allow';
  if (sameAccount ? identityAllows || resourceAllows : resourceAllows && (caller.userName === undefined || identityAllows)) return;
  throw refused();
}

function vaultPolicies(vault: VaultRecord | undefined, now: Date): PolicyDocument[] {
  const policies: PolicyDocument[] = [];
  if (vault?.accessPolicy) policies.push(policyOf(vault.accessPolicy, 'resource'));
  const lock = vault && activeLock(vault, now);
  if (lock) policies.push(policyOf(lock.policy, 'resource'));
  return policies;
}
