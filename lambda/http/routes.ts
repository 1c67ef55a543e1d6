// The one route table: every operation of Glacier API 2012-06-01. It drives the router
// (API Gateway and the local server alike) and is checked against the service model.

export interface Route {
  operation: string;
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** Path template; `{name}` captures one path segment. */
  path: string;
  /** A query parameter that tells operations on the same path apart. */
  query?: Record<string, string>;
  /** Status of a successful answer. */
  status: number;
}

const V = '/{accountId}/vaults/{vaultName}';

const TABLE = [
  { operation: 'ListVaults', method: 'GET', path: '/{accountId}/vaults', status: 200 },
  { operation: 'CreateVault', method: 'PUT', path: V, status: 201 },
  { operation: 'DescribeVault', method: 'GET', path: V, status: 200 },
  { operation: 'DeleteVault', method: 'DELETE', path: V, status: 204 },

  { operation: 'UploadArchive', method: 'POST', path: `${V}/archives`, status: 201 },
  { operation: 'DeleteArchive', method: 'DELETE', path: `${V}/archives/{archiveId}`, status: 204 },

  { operation: 'InitiateMultipartUpload', method: 'POST', path: `${V}/multipart-uploads`, status: 201 },
  { operation: 'ListMultipartUploads', method: 'GET', path: `${V}/multipart-uploads`, status: 200 },
  { operation: 'UploadMultipartPart', method: 'PUT', path: `${V}/multipart-uploads/{uploadId}`, status: 204 },
  { operation: 'CompleteMultipartUpload', method: 'POST', path: `${V}/multipart-uploads/{uploadId}`, status: 201 },
  { operation: 'ListParts', method: 'GET', path: `${V}/multipart-uploads/{uploadId}`, status: 200 },
  { operation: 'AbortMultipartUpload', method: 'DELETE', path: `${V}/multipart-uploads/{uploadId}`, status: 204 },

  { operation: 'InitiateJob', method: 'POST', path: `${V}/jobs`, status: 202 },
  { operation: 'ListJobs', method: 'GET', path: `${V}/jobs`, status: 200 },
  { operation: 'DescribeJob', method: 'GET', path: `${V}/jobs/{jobId}`, status: 200 },
  { operation: 'GetJobOutput', method: 'GET', path: `${V}/jobs/{jobId}/output`, status: 200 },

  { operation: 'SetVaultNotifications', method: 'PUT', path: `${V}/notification-configuration`, status: 204 },
  { operation: 'GetVaultNotifications', method: 'GET', path: `${V}/notification-configuration`, status: 200 },
  { operation: 'DeleteVaultNotifications', method: 'DELETE', path: `${V}/notification-configuration`, status: 204 },

  { operation: 'SetVaultAccessPolicy', method: 'PUT', path: `${V}/access-policy`, status: 204 },
  { operation: 'GetVaultAccessPolicy', method: 'GET', path: `${V}/access-policy`, status: 200 },
  { operation: 'DeleteVaultAccessPolicy', method: 'DELETE', path: `${V}/access-policy`, status: 204 },

  { operation: 'InitiateVaultLock', method: 'POST', path: `${V}/lock-policy`, status: 201 },
  { operation: 'GetVaultLock', method: 'GET', path: `${V}/lock-policy`, status: 200 },
  { operation: 'AbortVaultLock', method: 'DELETE', path: `${V}/lock-policy`, status: 204 },
  { operation: 'CompleteVaultLock', method: 'POST', path: `${V}/lock-policy/{lockId}`, status: 204 },

  { operation: 'AddTagsToVault', method: 'POST', path: `${V}/tags`, query: { operation: 'add' }, status: 204 },
  { operation: 'RemoveTagsFromVault', method: 'POST', path: `${V}/tags`, query: { operation: 'remove' }, status: 204 },
  { operation: 'ListTagsForVault', method: 'GET', path: `${V}/tags`, status: 200 },

  { operation: 'SetDataRetrievalPolicy', method: 'PUT', path: '/{accountId}/policies/data-retrieval', status: 204 },
  { operation: 'GetDataRetrievalPolicy', method: 'GET', path: '/{accountId}/policies/data-retrieval', status: 200 },
  { operation: 'PurchaseProvisionedCapacity', method: 'POST', path: '/{accountId}/provisioned-capacity', status: 201 },
  { operation: 'ListProvisionedCapacity', method: 'GET', path: '/{accountId}/provisioned-capacity', status: 200 },
] as const satisfies readonly Route[];

export const ROUTES: readonly Route[] = TABLE;

/** The name of every routed operation, from the table. */
export type OperationName = (typeof TABLE)[number]['operation'];

/**
 * coldvault's extensions, on paths under `/{accountId}/coldvault/`, a segment no Glacier path
 * has. Their operations are named `service:Action`, which is also the action policies grant.
 */
const EXTENSIONS = [
  { operation: 'coldvault:ListArchives', method: 'GET', path: '/{accountId}/coldvault/vaults/{vaultName}/archives', status: 200 },
] as const satisfies readonly Route[];

export const EXTENSION_ROUTES: readonly Route[] = EXTENSIONS;

/** The name of every extension operation, from its table. */
export type ExtensionOperationName = (typeof EXTENSIONS)[number]['operation'];

/** Any route of either table, its operation, path and status as literal types. */
export type TableRoute = Route & ((typeof TABLE)[number] | (typeof EXTENSIONS)[number]);

/** What the router matches: Glacier's routes and coldvault's extensions. */
export const ALL_ROUTES: readonly TableRoute[] = [...TABLE, ...EXTENSIONS];

/** Every operation the router can dispatch to. */
export type AnyOperationName = TableRoute['operation'];

type ParamNames<Template extends string> = Template extends `${string}{${infer Name}}${infer Rest}` ? Name | ParamNames<Rest> : never;

/** The parameters a path template captures: `/{accountId}/vaults/{vaultName}` gives `{ accountId: string; vaultName: string }`. */
export type PathParams<Template extends string> = { readonly [Name in ParamNames<Template>]: string };

type PathMap = { [R in TableRoute as R['operation']]: R['path'] };

/** An operation's path template. */
export type PathOf<Name extends AnyOperationName> = PathMap[Name];

/** An operation's path parameters, from its route's template. */
export type ParamsOf<Name extends AnyOperationName> = PathParams<PathOf<Name>>;

/** Whether `params` holds every parameter `template` captures, which the router's match guarantees. */
export function hasPathParams<Template extends string>(
  template: Template,
  params: Readonly<Record<string, string>>,
): params is Readonly<Record<string, string>> & PathParams<Template> {
  return [...template.matchAll(/\{([^}]+)\}/g)].every(([, name]) => params[name] !== undefined);
}

/** The distinct path templates of `routes`, for API Gateway resources. */
export function routePaths(routes: readonly Route[] = ROUTES): string[] {
  return [...new Set(routes.map((route) => route.path))];
}
