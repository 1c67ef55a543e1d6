// A request signed as an SDK signs it, wrapped in the REST API (v1) proxy event API Gateway
// would hand the function: for tests and the bench that drive a Lambda handler directly.
import { createHash } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';

export interface SignedEventOptions {
  host: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  region?: string;
  /** An execute-api stage: the client calls `/<stage><path>`. Absent: a custom domain, called at `path`. */
  stage?: string;
  headers?: Record<string, string>;
  body?: Buffer;
  signingDate?: Date;
}

export async function signedRestEvent(method: string, path: string, options: SignedEventOptions): Promise<APIGatewayProxyEvent> {
  const body = options.body ?? Buffer.alloc(0);
  const called = options.stage ? `/${options.stage}${path}` : path;
  const signer = new SignatureV4({
    service: 'glacier',
    region: options.region ?? 'us-east-1',
    credentials: options.credentials,
    sha256: Hash.bind(null, 'sha256'),
  });
  const signed = await signer.sign(
    {
      method,
      protocol: 'https:',
      hostname: options.host,
      path: called,
      query: {},
      headers: {
        host: options.host,
        'x-amz-glacier-version': '2012-06-01',
        'x-amz-content-sha256': createHash('sha256').update(body).digest('hex'),
        ...(body.length > 0 && { 'content-type': 'application/octet-stream', 'content-length': String(body.length) }),
        ...options.headers,
      },
      body,
    },
    { signingDate: options.signingDate },
  );
  const headers = signed.headers as Record<string, string>;
  return {
    resource: path,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    // The fields API Gateway sets that a handler could read.
    requestContext: {
      accountId: '123456789012',
      apiId: options.host.split('.')[0],
      domainName: options.host,
      httpMethod: method,
      path: called,
      protocol: 'HTTP/1.1',
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      requestTimeEpoch: Date.now(),
      resourcePath: path,
      stage: options.stage ?? '$default',
      identity: { sourceIp: '192.0.2.1', userAgent: 'coldvault-test' },
    } as APIGatewayProxyEvent['requestContext'],
    body: body.length > 0 ? body.toString('base64') : null,
    isBase64Encoded: body.length > 0,
  };
}
