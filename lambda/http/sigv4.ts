import { sameSecret } from '../domain/constant-time';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { GlacierError } from '../domain/errors';
import type { KeyStore } from '../domain/ports';
import { signingUri } from './canonical-path';
import type { HttpRequest } from './types';

export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

export interface Caller {
  accountId: string;
  /** The user the key belongs to; absent for the account's root key. */
  userName?: string;
  accessKeyId: string;
}

/** Headers that, when sent, must be signed: a captured request's meaning can't be changed in transit. */
const MUST_BE_SIGNED_WHEN_SENT = ['content-range', 'range', 'content-type', 'content-md5'];

const invalidSignature = (message: string) => new GlacierError('InvalidSignatureException', message);
const incomplete = (message: string) => new GlacierError('IncompleteSignatureException', message);

interface ParsedAuthorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

function parseAuthorization(header: string): ParsedAuthorization {
  const match = /^AWS4-HMAC-SHA256\s+(.*)$/s.exec(header.trim());
  if (!match) throw incomplete('Authorization header requires the AWS4-HMAC-SHA256 algorithm.');
  const fields: Record<string, string> = {};
  for (const part of match[1].split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  for (const name of ['Credential', 'SignedHeaders', 'Signature']) {
    if (!fields[name]) throw incomplete(`Authorization header requires '${name}' parameter. Authorization=${header}`);
  }
  const scope = fields.Credential.split('/');
  if (scope.length !== 5 || scope[4] !== 'aws4_request') {
    throw incomplete(
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/aws4_request, got '${fields.Credential}'.`,
    );
  }
  if (!/^[0-9a-f]{64}$/.test(fields.Signature)) throw incomplete('Signature must be 64 hexadecimal characters.');
  return {
    accessKeyId: scope[0],
    date: scope[1],
    region: scope[2],
    service: scope[3],
    signedHeaders: fields.SignedHeaders.split(';'),
    signature: fields.Signature,
  };
}

/** The access key ID an Authorization header names, if it is well-formed. */
export function claimedAccessKeyId(header: string): string | undefined {
  try {
    return parseAuthorization(header).accessKeyId;
  } catch {
    return undefined;
  }
}

function parseAmzDate(value: string | undefined): Date {
  const match = value === undefined ? null : /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) throw incomplete(`Authorization requires the X-Amz-Date header in the form YYYYMMDDTHHMMSSZ, got '${value ?? ''}'.`);
  const [, y, mo, d, h, mi, s] = match;
  return new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi, +s));
}

/**
 * What the headers alone can show about a request's signature: it is there and well formed,
 * scoped to this service, region and date, within the allowed clock skew, and covers every
 * header that must be signed. Checked before any body is read.
 */
export function checkSignedHeaders(request: HttpRequest, region: string, now: Date) {
  const header = request.headers.authorization;
  if (header === undefined) {
    throw new GlacierError(
      'MissingAuthenticationTokenException',
      'Missing Authentication Token: requests must be signed with AWS Signature Version 4.',
    );
  }
  const auth = parseAuthorization(header);
  if (auth.service !== 'glacier')
    throw invalidSignature(`Credential should be scoped to correct service: 'glacier', not '${auth.service}'.`);
  if (auth.region !== region) throw invalidSignature(`Credential should be scoped to a valid region: '${region}', not '${auth.region}'.`);

  const signingDate = parseAmzDate(request.headers['x-amz-date']);
  const amzDate = request.headers['x-amz-date'];
  if (auth.date !== amzDate.slice(0, 8)) {
    throw invalidSignature(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.date}' != '${amzDate.slice(0, 8)}'.`,
    );
  }
  const skew = signingDate.getTime() - now.getTime();
  if (skew < -MAX_CLOCK_SKEW_MS) {
    throw invalidSignature(
      `Signature expired: ${amzDate} is now earlier than ${compact(new Date(now.getTime() - MAX_CLOCK_SKEW_MS))} (${compact(now)} - 15 min.)`,
    );
  }
  if (skew > MAX_CLOCK_SKEW_MS) {
    throw invalidSignature(
      `Signature not yet current: ${amzDate} is still later than ${compact(new Date(now.getTime() + MAX_CLOCK_SKEW_MS))} (${compact(now)} + 15 min.)`,
    );
  }
  for (const required of ['host', 'x-amz-date']) {
    if (!auth.signedHeaders.includes(required)) throw invalidSignature(`The '${required}' header must be signed.`);
  }
  for (const name of Object.keys(request.headers)) {
    if ((name.startsWith('x-amz-') || MUST_BE_SIGNED_WHEN_SENT.includes(name)) && !auth.signedHeaders.includes(name)) {
      throw invalidSignature(`The '${name}' header was sent but is not among the signed headers; sign every x-amz-* header.`);
    }
  }
  const claimed = request.headers['x-amz-content-sha256'];
  if (claimed !== undefined && !/^[0-9a-fA-F]{64}$/.test(claimed)) {
    throw invalidSignature(
      `The provided 'x-amz-content-sha256' header does not match what was computed: it must be the body's hex SHA-256 (unsigned and streaming payloads are not accepted), got '${claimed.slice(0, 80)}'.`,
    );
  }
  return { auth, signingDate, claimed };
}

/**
 * Verifies a SigV4 request for the `glacier` service from its headers: the signature is
 * recomputed over exactly the headers the client signed and the canonical signed path, with
 * the signed x-amz-content-sha256 as the payload hash (the body is checked against it as it
 * is read). `payload` is the body itself, for a request that sent no x-amz-content-sha256.
 */
export async function authenticate(request: HttpRequest, keys: KeyStore, region: string, now: Date, payload?: Buffer): Promise<Caller> {
  const { auth, signingDate, claimed } = checkSignedHeaders(request, region, now);
  const credentials = await keys.lookup(auth.accessKeyId);
  if (!credentials) throw new GlacierError('UnrecognizedClientException', 'The security token included in the request is invalid.');
  if (claimed === undefined && payload === undefined && request.body.length > 0) {
    throw new Error('authenticate: a request without x-amz-content-sha256 needs its payload');
  }

  const signedHeaders: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const value = Object.hasOwn(request.headers, name) ? request.headers[name] : undefined;
    if (value === undefined) throw invalidSignature(`The header '${name}' is listed in SignedHeaders but is not in the request.`);
    signedHeaders[name] = value;
  }
  const signed = await signerFor(auth.accessKeyId, credentials.secretAccessKey, auth.region).sign(
    {
      method: request.method,
      protocol: 'https:',
      hostname: request.headers.host,
      // Already the canonical URI: the signer neither resolves dot segments nor drops empty ones.
      path: signingUri(request.signedPath),
      query: request.query,
      headers: signedHeaders,
      // With x-amz-content-sha256 signed, the signer takes the payload hash from that header.
      body: claimed === undefined ? (payload ?? Buffer.alloc(0)) : undefined,
    },
    { signingDate, signableHeaders: new Set(auth.signedHeaders) },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization))?.[1] ?? '';
  if (!sameSecret(expected, auth.signature)) {
    throw invalidSignature(
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
  }
  return { accountId: credentials.accountId, userName: credentials.userName, accessKeyId: auth.accessKeyId };
}

// One signer per key, so that its cache of derived signing keys is used across requests.
const signers = new Map<string, SignatureV4>();
const MAX_SIGNERS = 1000;

function signerFor(accessKeyId: string, secretAccessKey: string, region: string): SignatureV4 {
  const id = `${accessKeyId}\n${secretAccessKey}\n${region}`;
  let signer = signers.get(id);
  if (!signer) {
    if (signers.size >= MAX_SIGNERS) signers.clear();
    signer = new SignatureV4({
      service: 'glacier',
      region,
      credentials: { accessKeyId, secretAccessKey },
      sha256: Hash.bind(null, 'sha256'),
      uriEscapePath: false,
      applyChecksum: false,
    });
    signers.set(id, signer);
  }
  return signer;
}

function compact(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}
