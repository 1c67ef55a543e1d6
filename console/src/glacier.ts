// The console is a plain Glacier client of the endpoint that serves it; coldvault's own
// extension (the live archive listing) is signed the same way.
import { GlacierClient, GlacierServiceException } from '@aws-sdk/client-glacier';
import { Sha256 } from '@aws-crypto/sha256-browser';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Session } from './session';
import { hex, leafHashes, sha256, treeHashOf } from './tree-hash';

/** The endpoint: this origin, with any base path (an API Gateway stage) the console is served under. */
export function endpoint(): string {
  const path = location.pathname;
  const at = path.lastIndexOf('/console');
  return `${location.origin}${at > 0 ? path.slice(0, at) : ''}`;
}

/**
 * The SHA-256 and tree hash Glacier requests carry, of any body the console sends: the SDK's
 * browser version reads only Blobs, and JSON bodies (InitiateJob) are byte arrays.
 */
async function bodyChecksums(request: { body?: unknown }): Promise<[string, string]> {
  const { body } = request;
  let bytes: Uint8Array;
  if (body === undefined || body === null) bytes = new Uint8Array();
  else if (typeof body === 'string') bytes = new TextEncoder().encode(body);
  else if (body instanceof Uint8Array) bytes = body;
  else if (ArrayBuffer.isView(body)) bytes = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  else if (body instanceof Blob) bytes = new Uint8Array(await body.arrayBuffer());
  else throw new Error('The console can only send bytes, text and files.');
  return [hex(await sha256(bytes)), hex(await treeHashOf(await leafHashes(bytes)))];
}

export function glacierClient(session: Session): GlacierClient {
  return new GlacierClient({
    bodyChecksumGenerator: bodyChecksums,
    endpoint: endpoint(),
    region: session.region,
    credentials: { accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey },
    maxAttempts: 2,
  });
}

export interface LiveArchive {
  ArchiveId: string;
  ArchiveDescription: string;
  CreationDate: string;
  Size: number;
  SHA256TreeHash: string;
}

export interface LiveListing {
  VaultARN: string;
  StorageClass: string | null;
  RetrievalSeconds: Record<string, number> | null;
  NumberOfArchives: number;
  SizeInBytes: number;
  ArchiveList: LiveArchive[];
  Marker: string | null;
}

/** An error document of the endpoint, as the SDK would raise it. */
export class ServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = code;
  }
}

/** coldvault's live archive listing: GET /-/coldvault/vaults/{vault}/archives, signed like any Glacier request. */
export async function listLiveArchives(
  session: Session,
  vaultName: string,
  options: { limit?: number; marker?: string; descriptionPrefix?: string } = {},
): Promise<LiveListing> {
  const base = new URL(endpoint());
  const path = `${base.pathname.replace(/\/$/, '')}/-/coldvault/vaults/${encodeURIComponent(vaultName)}/archives`;
  const query: Record<string, string> = {};
  if (options.limit !== undefined) query.limit = String(options.limit);
  if (options.marker) query.marker = options.marker;
  if (options.descriptionPrefix) query['description-prefix'] = options.descriptionPrefix;
  const signer = new SignatureV4({
    service: 'glacier',
    region: session.region,
    credentials: { accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey },
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method: 'GET',
    protocol: base.protocol,
    hostname: base.hostname,
    port: base.port ? Number(base.port) : undefined,
    path,
    query,
    headers: {
      host: base.host,
      'x-amz-glacier-version': '2012-06-01',
      'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    },
  });
  const headers = { ...(signed.headers as Record<string, string>) };
  delete headers.host; // The browser sends it, as signed.
  const search = new URLSearchParams(query).toString();
  const response = await fetch(`${base.origin}${path}${search ? `?${search}` : ''}`, { headers, credentials: 'omit', cache: 'no-store' });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    throw new ServiceError(
      String(body.code ?? 'ServiceError'),
      String(body.message ?? `The endpoint answered ${response.status}.`),
      response.status,
    );
  }
  return body as unknown as LiveListing;
}

const PLAIN: Record<string, string> = {
  AccessDeniedException: 'Not allowed',
  ResourceNotFoundException: 'Not found',
  InvalidParameterValueException: 'Not accepted',
  MissingParameterValueException: 'Something is missing',
  LimitExceededException: 'Over a limit',
  PolicyEnforcedException: "Refused by the account's data retrieval policy",
  RequestTimeoutException: 'The request took too long',
  ServiceUnavailableException: 'The service is unavailable for now; try again shortly',
  InvalidSignatureException: 'The key or secret is wrong',
  UnrecognizedClientException: 'This access key is not known',
  MissingAuthenticationTokenException: 'Not signed in',
  IncompleteSignatureException: 'The request was not signed properly',
  UnknownOperationException: 'The endpoint does not know this request',
  NotImplementedException: 'Not supported by this endpoint',
};

/** Glacier's message in plain words: what kind of refusal, then the service's own message. */
export function plainError(error: unknown): string {
  if (error instanceof ServiceError || error instanceof GlacierServiceException) {
    const kind = PLAIN[error.name] ?? 'The request failed';
    return `${kind}: ${error.message}`;
  }
  if (error instanceof TypeError) return `Could not reach the endpoint: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** True for a 404 answer: a setting that isn't there (no policy, no lock, no notifications). */
export function isNotFound(error: unknown): boolean {
  return (error instanceof ServiceError || error instanceof GlacierServiceException) && error.name === 'ResourceNotFoundException';
}
