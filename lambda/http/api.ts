import { authorize } from '../domain/authorize';
import { GlacierError, accessDenied, invalidParameter, missingParameter } from '../domain/errors';
import { newRequestId } from '../domain/ids';
import { validateVaultName } from '../domain/names';
import type { Services } from '../domain/services';
import { OPERATIONS } from '../ops';
import type { Operation } from '../ops/operation';
import type { KeyStore, UserRecord } from '../domain/ports';
import { cachingVaultReads } from '../domain/vault-read-cache';
import { errorResponse, jsonLogger, jsonResponse, type Logger } from './responses';
import { matchRoute, type RouteResult } from './router';
import { authenticate, type Caller } from './sigv4';
import type { HttpRequest, HttpResponse } from './types';

export const API_VERSION = '2012-06-01';

export interface ApiDeps {
  svc: Services;
  keys: KeyStore;
  users: { getUser(accountId: string, userName: string): Promise<UserRecord | undefined> };
  log?: Logger;
  operations?: Readonly<Record<string, Operation>>;
}

export type Api = (request: HttpRequest) => Promise<HttpResponse>;

/** The request path: authenticate, check the version, route, resolve the account, run the operation. */
export function createApi(deps: ApiDeps): Api {
  const log = deps.log ?? jsonLogger;
  return async (request) => {
    const requestId = newRequestId();
    // Routed before authentication so that every response, errors included, names its operation.
    const routed = matchRoute(request.method, request.path, request.query);
    const operation = 'match' in routed ? routed.match.route.operation : undefined;
    try {
      const response = await handle(deps, request, routed);
      response.headers['x-amzn-requestid'] = requestId;
      return { ...response, operation };
    } catch (error) {
      return { ...errorResponse(error, requestId, log), operation };
    }
  };
}

/** `-` is the caller's own account; another account's resources need its vault policies' leave. */
function resolveAccount(pathAccount: string, caller: Caller): string {
  if (pathAccount === '-') return caller.accountId;
  if (!/^\d{12}$/.test(pathAccount)) throw accessDenied(`Access denied: ${pathAccount} is not an account ID.`);
  return pathAccount;
}

async function handle(deps: ApiDeps, request: HttpRequest, routed: RouteResult): Promise<HttpResponse> {
  const caller = await authenticate(request, deps.keys, deps.svc.region, deps.svc.now());

  const version = request.headers['x-amz-glacier-version'];
  if (version === undefined) throw missingParameter('Required parameter missing: API version');
  if (version !== API_VERSION) throw invalidParameter(`Invalid API version: ${version}. The supported version is ${API_VERSION}.`);
  const repeated = request.repeatedHeaders.find((name) => name.startsWith('x-amz-') || name.startsWith('content-') || name === 'range');
  if (repeated) throw invalidParameter(`Header ${repeated} may appear only once.`);

  if ('error' in routed) {
    const allowed = routed.allowed ? ` (this path takes ${routed.allowed.join(', ')})` : '';
    throw new GlacierError('UnknownOperationException', `No Glacier operation matches ${request.method} ${request.path}${allowed}.`);
  }
  const { route, params } = routed.match;
  const accountId = resolveAccount(params.accountId, caller);
  if (params.vaultName !== undefined) validateVaultName(params.vaultName);
  // One view of the store for the request, so that its vault is read once for authorization and the operation.
  const svc: Services = { ...deps.svc, metadata: cachingVaultReads(deps.svc.metadata) };
  await authorize(svc, deps.users, caller, {
    operation: route.operation,
    accountId,
    vaultName: params.vaultName,
    archiveId: params.archiveId,
  });

  const operations: Readonly<Record<string, Operation | undefined>> = deps.operations ?? OPERATIONS;
  const operation = operations[route.operation];
  if (!operation) throw new GlacierError('NotImplementedException', `coldvault does not support ${route.operation} yet.`);
  const result = (await operation({ svc, request, route, params: { ...params, accountId }, accountId })) ?? {};
  const status = result.status ?? route.status;
  if (result.json !== undefined) return jsonResponse(status, result.json, result.headers);
  return { statusCode: status, headers: { ...result.headers }, body: result.body ?? Buffer.alloc(0) };
}
