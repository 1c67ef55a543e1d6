import { createHash } from 'node:crypto';
import { authorize } from '../domain/authorize';
import { GlacierError, accessDenied, invalidParameter, missingHeader, missingParameter } from '../domain/errors';
import { newRequestId } from '../domain/ids';
import { validateVaultName } from '../domain/names';
import type { Services } from '../domain/services';
import { OPERATIONS } from '../ops';
import type { OpContext, OperationTable } from '../ops/operation';
import type { KeyStore, UserRecord } from '../domain/ports';
import { cachingVaultReads } from '../domain/vault-read-cache';
import { isConsolePath, serveConsole } from './console-assets';
import { canonicalPath } from './canonical-path';
import { BodyBudget, bufferedBody, JSON_BODY_MAX_BYTES } from './request-body';
import { errorResponse, jsonLogger, jsonResponse, type Logger } from './responses';
import { matchRoute, type RouteResult } from './router';
import { hasPathParams, type AnyOperationName, type PathOf } from './routes';
import { authenticate, checkSignedHeaders, claimedAccessKeyId, type Caller } from './sigv4';
import type { HttpRequest, HttpResponse } from './types';

export const API_VERSION = '2012-06-01';

export interface ApiDeps {
  svc: Services;
  keys: KeyStore;
  users: { getUser(accountId: string, userName: string): Promise<UserRecord | undefined> };
  log?: Logger;
  operations?: Partial<OperationTable>;
  /**
   * Bytes that bodies sent without x-amz-content-sha256 may hold in memory at once, across
   * requests: such a body must be read before its signature can be checked.
   */
  unsignedPayloadBudget?: BodyBudget;
}

export type Api = (request: HttpRequest) => Promise<HttpResponse>;

/**
 * The request path: check the canonical path, authenticate from the headers, check the version,
 * route, check the body's size, resolve the account, authorize, run the operation (which reads the body).
 */
export function createApi(deps: ApiDeps): Api {
  const log = deps.log ?? jsonLogger;
  const budget = deps.unsignedPayloadBudget ?? new BodyBudget(64 * 1024 * 1024);
  return async (request) => {
    if (isConsolePath(request.path)) return serveConsole(request);
    const requestId = newRequestId();
    let operation: string | undefined;
    try {
      canonicalPath(request.signedPath);
      canonicalPath(request.path);
      // Routed before authentication so that every response, errors included, names its operation.
      const routed = matchRoute(request.method, request.path, request.query);
      operation = 'match' in routed ? routed.match.route.operation : undefined;
      const response = await handle(deps, request, routed, budget);
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

/**
 * SigV4 signs the body's hash; a client that sent no x-amz-content-sha256 (boto3 does so for
 * JSON operations) leaves it to be computed from the body, so such a body, small, is read first.
 */
async function unsignedPayload(request: HttpRequest, deps: ApiDeps, budget: BodyBudget): Promise<Buffer | undefined> {
  if (request.headers['x-amz-content-sha256'] !== undefined || request.headers.authorization === undefined) return undefined;
  if (request.body.length === 0) return Buffer.alloc(0);
  // Only for a signature whose headers hold up, and a key that exists: a stranger's body is never read.
  checkSignedHeaders(request, deps.svc.region, deps.svc.now());
  const accessKeyId = claimedAccessKeyId(request.headers.authorization);
  if (accessKeyId === undefined || !(await deps.keys.lookup(accessKeyId))) return undefined;
  // A body over what may be read unsigned needs its SHA-256 sent; Glacier's message names only the header.
  if (request.body.length > JSON_BODY_MAX_BYTES) throw missingHeader('x-amz-content-sha256');
  if (!budget.take(request.body.length)) {
    throw new GlacierError('ServiceUnavailableException', 'Too many request bodies without x-amz-content-sha256 are in flight; try again.');
  }
  try {
    return await request.body.read(JSON_BODY_MAX_BYTES);
  } finally {
    budget.release(request.body.length);
  }
}

async function handle(deps: ApiDeps, original: HttpRequest, routed: RouteResult, budget: BodyBudget): Promise<HttpResponse> {
  const payload = await unsignedPayload(original, deps, budget);
  // The signature below covers these bytes' hash, so it is the body's signed SHA-256 from here on.
  const request =
    payload === undefined ? original : { ...original, body: bufferedBody(payload, createHash('sha256').update(payload).digest('hex')) };
  const caller = await authenticate(request, deps.keys, deps.svc.region, deps.svc.now(), payload);

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
  if (request.body.length > deps.svc.maxBodyBytes) {
    throw invalidParameter(
      `The request body (${request.body.length} bytes) exceeds this endpoint's limit of ${deps.svc.maxBodyBytes} bytes. ` +
        'Upload larger archives with a multipart upload.',
    );
  }
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

  const result = (await run(deps.operations ?? OPERATIONS, route, { ...params, accountId }, { svc, request, route, accountId })) ?? {};
  const status = result.status ?? route.status;
  if (result.json !== undefined) return jsonResponse(status, result.json, result.headers);
  return { statusCode: status, headers: { ...result.headers }, body: result.body ?? Buffer.alloc(0) };
}

/** Runs the route's operation with the path's parameters, typed as its template says. */
async function run<Name extends AnyOperationName>(
  operations: Partial<OperationTable>,
  route: { operation: Name; path: PathOf<Name> },
  params: Record<string, string>,
  ctx: Omit<OpContext<Name>, 'params'>,
) {
  const operation = operations[route.operation];
  if (!operation) throw new GlacierError('NotImplementedException', `coldvault does not support ${route.operation} yet.`);
  if (!hasPathParams(route.path, params)) throw new Error(`The router matched ${route.path} without all of its parameters.`);
  return operation({ ...ctx, params });
}
