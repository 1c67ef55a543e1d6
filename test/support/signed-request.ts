import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { ROOT_CREDENTIALS } from './local-server';

export interface RawRequest {
  method: string;
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Buffer;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  service?: string;
  region?: string;
  signingDate?: Date;
  /** Leave out the x-amz-glacier-version header. */
  noVersion?: boolean;
  /** Leave out x-amz-content-sha256, so the signature covers the body itself. */
  noContentHash?: boolean;
  /** Change the request after it was signed. */
  tamper?: (signed: { headers: Record<string, string>; body: Buffer }) => void;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  json(): Record<string, unknown>;
}

/** The headers of `req` signed the way SDKs sign it, for a server at `baseUrl` over plain HTTP. */
export async function signedHeaders(baseUrl: string, req: RawRequest): Promise<Record<string, string>> {
  const url = new URL(baseUrl);
  const body = req.body ?? Buffer.alloc(0);
  const signer = new SignatureV4({
    service: req.service ?? 'glacier',
    region: req.region ?? 'us-east-1',
    credentials: req.credentials ?? ROOT_CREDENTIALS,
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: !req.noContentHash,
  });
  const headers: Record<string, string> = {
    host: url.host,
    ...(req.noVersion ? {} : { 'x-amz-glacier-version': '2012-06-01' }),
    ...(req.noContentHash ? {} : { 'x-amz-content-sha256': createHash('sha256').update(body).digest('hex') }),
    ...req.headers,
  };
  const signed = await signer.sign(
    {
      method: req.method,
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: req.path,
      query: req.query ?? {},
      headers,
      body,
    },
    { signingDate: req.signingDate },
  );
  return { ...(signed.headers as Record<string, string>) };
}

/** Signs a request the way SDKs do, then sends it over plain HTTP, so tests can bend any part of it. */
export async function signedRequest(baseUrl: string, req: RawRequest): Promise<RawResponse> {
  const final = { headers: await signedHeaders(baseUrl, req), body: req.body ?? Buffer.alloc(0) };
  req.tamper?.(final);
  const search = new URLSearchParams(req.query ?? {}).toString();
  return send(new URL(baseUrl), req.method, `${req.path}${search ? `?${search}` : ''}`, final.headers, final.body);
}

export function send(url: URL, method: string, path: string, headers: Record<string, string>, body: Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, method, path, headers: { ...headers, 'content-length': String(body.length) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const responseBody = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers as Record<string, string>,
            body: responseBody,
            json: () => JSON.parse(responseBody.toString()) as Record<string, unknown>,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
