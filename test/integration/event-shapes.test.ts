// The api handler fed events in the shapes API Gateway sends (REST API proxy v1, HTTP API
// payload v2), for requests signed as a client signs the URL it calls; and the scheduled
// Lambdas, bundled as deployed, fed an EventBridge scheduled event.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, APIGatewayProxyResult } from 'aws-lambda';
import { build } from 'esbuild';
import { readConfig } from '../../lambda/config';
import { treeHash } from '../../lambda/domain/checksums';
import { createApi } from '../../lambda/http/api';
import { apiGatewayHandler } from '../../lambda/http/apigw';
import { matchRoute } from '../../lambda/http/router';
import { startEmbeddedStores, type EmbeddedStores } from '../../lambda/local/embedded-stores';
import { createIdentityStore, createKeyStore, createServices } from '../../lambda/wiring';
import { LAMBDA_ESBUILD } from '../../lib/bundling';
import { invokeBundled, lambdaEnvironment, writeRunner } from '../support/bundled-lambda';
import { createTable } from '../support/embedded';
import { ACCOUNT, OTHER_ACCOUNT } from '../support/accounts';

const REGION = 'us-east-1';
const ROOT = { accessKeyId: 'AKIDCOLDVAULTSHAPES1', secretAccessKey: 'event-shapes-root-secret-access-key-01' };
const OTHER_ROOT = { accessKeyId: 'AKIDCOLDVAULTSHAPES2', secretAccessKey: 'event-shapes-other-secret-access-key-2' };
const REST_HOST = 'abc123.execute-api.us-east-1.amazonaws.com';
const HTTP_HOST = 'xyz789.execute-api.us-east-1.amazonaws.com';
const CUSTOM_HOST = 'glacier.example.com';

type Credentials = { accessKeyId: string; secretAccessKey: string };
type Handler = (event: APIGatewayProxyEvent | APIGatewayProxyEventV2) => Promise<APIGatewayProxyResult>;

let dir: string;
let stores: EmbeddedStores;
let env: Record<string, string>;
let handler: Handler;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'coldvault-shapes-'));
  stores = await startEmbeddedStores(join(dir, 'data'), 'coldvault-shapes-archives');
  // The Lambda's environment; STANDARD storage and no delay, so that retrieval jobs are due at once.
  env = {
    ...lambdaEnvironment(stores, {
      account: ACCOUNT,
      region: REGION,
      table: 'coldvault-shapes',
      bucket: 'coldvault-shapes-archives',
      root: ROOT,
    }),
    COLDVAULT_STORAGE_CLASS: 'STANDARD',
    COLDVAULT_JOB_DELAY_SECONDS: '0',
  };
  await createTable(stores, env.COLDVAULT_TABLE, REGION);

  // Built as lambda/handlers/api.ts builds it, from the same configuration.
  const config = readConfig(env);
  const identities = createIdentityStore(config);
  await identities.putKey({ ...OTHER_ROOT, accountId: OTHER_ACCOUNT, createdDate: new Date().toISOString(), status: 'Active' });
  const api = createApi({
    svc: createServices(config),
    keys: await createKeyStore(config, identities),
    users: identities,
    log: () => undefined,
  });
  handler = apiGatewayHandler(async () => api);
});

afterAll(async () => {
  await stores?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Signed {
  method: string;
  url: URL;
  /** The headers the client sends, as it names them. */
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * Signs a request for `url` the way the AWS SDK does: the path and query of the URL called,
 * its host, the body's SHA-256, and (for a body) content-type and content-length.
 */
async function sign(
  method: string,
  url: string,
  options: { body?: Buffer; headers?: Record<string, string>; credentials?: Credentials; signContentLength?: boolean } = {},
): Promise<Signed> {
  const target = new URL(url);
  const body = options.body ?? Buffer.alloc(0);
  const headers: Record<string, string> = {
    host: target.host,
    'x-amz-glacier-version': '2012-06-01',
    'x-amz-content-sha256': createHash('sha256').update(body).digest('hex'),
    'user-agent': 'aws-sdk-js/3 event-shapes',
    ...(body.length > 0 && { 'content-type': 'application/octet-stream' }),
    ...(body.length > 0 && options.signContentLength !== false && { 'content-length': String(body.length) }),
    ...options.headers,
  };
  const signer = new SignatureV4({
    service: 'glacier',
    region: REGION,
    credentials: options.credentials ?? ROOT,
    sha256: Hash.bind(null, 'sha256'),
  });
  const signed = await signer.sign({
    method,
    protocol: target.protocol,
    hostname: target.hostname,
    path: target.pathname,
    query: Object.fromEntries(target.searchParams),
    headers,
    body,
  });
  const sent = signed.headers as Record<string, string>;
  expect(Object.keys(sent)).toEqual(expect.arrayContaining(['authorization', 'x-amz-date']));
  return { method, url: target, headers: sent, body };
}

const capitalised = (name: string) => name.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());

/**
 * A REST API (v1) proxy event. `path` is the resource path (no stage); requestContext.path is
 * the path the client called. Header names keep the client's case (here HTTP/1.1 style), and
 * API Gateway adds its own; with binaryMediaTypes '*' every body arrives base64-encoded.
 */
function restEvent(request: Signed, stage = 'prod'): APIGatewayProxyEvent {
  // An execute-api URL starts with the stage; a custom domain's (empty base path) does not.
  const called = request.url.pathname;
  const path = request.url.hostname.includes('.execute-api.') ? called.slice(stage.length + 1) : called;
  // The stack makes one API Gateway resource per route template.
  const routed = matchRoute(request.method, path, Object.fromEntries(request.url.searchParams));
  if ('error' in routed) throw new Error(`no route for ${request.method} ${path}`);
  const headers: Record<string, string> = {
    ...Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [capitalised(name), value])),
    'X-Amzn-Trace-Id': 'Root=1-5f2330a4-6a0de1cd0e17c0508d386a64',
    'X-Forwarded-For': '203.0.113.7, 198.51.100.1',
    'X-Forwarded-Port': '443',
    'X-Forwarded-Proto': 'https',
  };
  const multiValueQuery: Record<string, string[]> = {};
  for (const [name, value] of request.url.searchParams) (multiValueQuery[name] ??= []).push(value);
  const hasQuery = Object.keys(multiValueQuery).length > 0;
  return {
    resource: routed.match.route.path,
    path,
    httpMethod: request.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: hasQuery ? Object.fromEntries(request.url.searchParams) : null,
    multiValueQueryStringParameters: hasQuery ? multiValueQuery : null,
    pathParameters: routed.match.params,
    stageVariables: null,
    requestContext: {
      accountId: ACCOUNT,
      apiId: 'abc123',
      authorizer: undefined,
      domainName: request.url.hostname,
      domainPrefix: request.url.hostname.split('.')[0],
      extendedRequestId: 'c6af9ac6-EXT',
      httpMethod: request.method,
      path: called,
      protocol: 'HTTP/1.1',
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      requestTime: '09/Apr/2015:12:34:56 +0000',
      requestTimeEpoch: Date.now(),
      resourceId: 'w1x2y3',
      resourcePath: routed.match.route.path,
      stage,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '203.0.113.7',
        user: null,
        userAgent: request.headers['user-agent'],
        userArn: null,
      },
    },
    body: request.body.length > 0 ? request.body.toString('base64') : null,
    isBase64Encoded: request.body.length > 0,
  };
}

/** An HTTP API (payload v2) event: lower-case header names, rawPath as called (with a named stage), cookies apart. */
function httpApiEvent(request: Signed, route: { stage: string; text?: boolean }): APIGatewayProxyEventV2 {
  const rawPath = request.url.pathname;
  const stagePrefix = route.stage === '$default' ? '' : `/${route.stage}`;
  return {
    version: '2.0',
    routeKey: 'ANY /{proxy+}',
    rawPath,
    rawQueryString: request.url.search.slice(1),
    cookies: ['session=1a2b3c'],
    headers: {
      ...Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value])),
      // Repeated headers arrive joined with commas.
      accept: 'application/json, */*',
      'x-amzn-trace-id': 'Root=1-5f2330a4-6a0de1cd0e17c0508d386a64',
      'x-forwarded-for': '203.0.113.7, 198.51.100.1',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
    },
    queryStringParameters: request.url.search ? Object.fromEntries(request.url.searchParams) : undefined,
    pathParameters: { proxy: rawPath.slice(stagePrefix.length + 1) },
    requestContext: {
      accountId: ACCOUNT,
      apiId: 'xyz789',
      domainName: request.url.hostname,
      domainPrefix: request.url.hostname.split('.')[0],
      http: {
        method: request.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: request.headers['user-agent'],
      },
      requestId: 'JKJaXmPLvHcESHA=',
      routeKey: 'ANY /{proxy+}',
      stage: route.stage,
      time: '10/Mar/2020:00:03:59 +0000',
      timeEpoch: Date.now(),
    },
    // HTTP APIs pass text bodies as they are and base64-encode the rest.
    body: request.body.length === 0 ? undefined : route.text ? request.body.toString('utf8') : request.body.toString('base64'),
    isBase64Encoded: request.body.length > 0 && !route.text,
  };
}

function expectError(result: APIGatewayProxyResult, status: number, code: string) {
  expect({ status: result.statusCode, type: result.headers?.['x-amzn-errortype'] }).toEqual({ status, type: code });
  expect(JSON.parse(result.body)).toMatchObject({ code, type: 'Client' });
}

describe('REST API (v1) events', () => {
  it('verifies a request signed for the execute-api stage URL: the stage is in requestContext.path, not in path', async () => {
    const request = await sign('PUT', `https://${REST_HOST}/prod/-/vaults/v`);
    const created = await handler(restEvent(request));
    expect({ status: created.statusCode, body: created.body, base64: created.isBase64Encoded }).toEqual({
      status: 201,
      body: '',
      base64: false,
    });
    expect(created.headers?.location).toBe(`/${ACCOUNT}/vaults/v`);
    expect(created.headers?.['x-amzn-requestid']).toEqual(expect.any(String));

    const described = await handler(restEvent(await sign('GET', `https://${REST_HOST}/prod/-/vaults/v`)));
    expect(described.statusCode).toBe(200);
    expect(described.headers?.['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(described.body)).toMatchObject({ VaultName: 'v', VaultARN: `arn:aws:glacier:${REGION}:${ACCOUNT}:vaults/v` });
  });

  it('verifies a request signed for a custom domain with an empty base path', async () => {
    const request = await sign('PUT', `https://${CUSTOM_HOST}/-/vaults/custom`);
    const event = restEvent(request);
    expect(event.requestContext).toMatchObject({ path: '/-/vaults/custom', stage: 'prod', domainName: CUSTOM_HOST });
    const created = await handler(event);
    expect(created.statusCode).toBe(201);
    expect(created.headers?.location).toBe(`/${ACCOUNT}/vaults/custom`);

    const described = await handler(restEvent(await sign('GET', `https://${CUSTOM_HOST}/-/vaults/custom`)));
    expect(JSON.parse(described.body)).toMatchObject({ VaultName: 'custom' });
  });

  it('refuses a signature for the stage path when the event claims another path, and does nothing', async () => {
    const request = await sign('PUT', `https://${REST_HOST}/prod/-/vaults/forged`);
    const event = restEvent(request);
    expectError(
      await handler({ ...event, requestContext: { ...event.requestContext, path: '/-/vaults/forged' } }),
      403,
      'InvalidSignatureException',
    );

    const described = await handler(restEvent(await sign('GET', `https://${REST_HOST}/prod/-/vaults/forged`)));
    expectError(described, 404, 'ResourceNotFoundException');
  });

  it('passes a query string (ListVaults limit and marker) through to the signature and the operation', async () => {
    for (const name of ['list-a', 'list-b', 'list-c']) {
      const request = await sign('PUT', `https://${REST_HOST}/prod/-/vaults/${name}`, { credentials: OTHER_ROOT });
      expect((await handler(restEvent(request))).statusCode).toBe(201);
    }
    const list = async (query: string) => {
      const result = await handler(
        restEvent(await sign('GET', `https://${REST_HOST}/prod/-/vaults?${query}`, { credentials: OTHER_ROOT })),
      );
      expect(result.statusCode).toBe(200);
      return JSON.parse(result.body) as { VaultList: { VaultName: string }[]; Marker: string | null };
    };
    const first = await list('limit=1');
    expect(first.VaultList.map((vault) => vault.VaultName)).toEqual(['list-a']);
    expect(first.Marker).toBe(`arn:aws:glacier:${REGION}:${OTHER_ACCOUNT}:vaults/list-a`);

    const second = await list(new URLSearchParams({ limit: '2', marker: first.Marker as string }).toString());
    expect(second).toEqual({
      VaultList: [expect.objectContaining({ VaultName: 'list-b' }), expect.objectContaining({ VaultName: 'list-c' })],
      Marker: null,
    });
  });

  it('takes a base64-encoded binary body (UploadArchive)', async () => {
    // REST APIs leave Content-Length out of the event, so this client signs only headers the event carries.
    const body = Buffer.concat([Buffer.from([0x00, 0xff, 0xfe, 0x80]), randomBytes(3000)]);
    const checksum = treeHash(body).toString('hex');
    const request = await sign('POST', `https://${REST_HOST}/prod/-/vaults/v/archives`, {
      body,
      headers: { 'x-amz-sha256-tree-hash': checksum, 'x-amz-archive-description': 'binary' },
      signContentLength: false,
    });
    const event = restEvent(request);
    expect(event.isBase64Encoded).toBe(true);
    const result = await handler(event);
    expect(result.statusCode).toBe(201);
    expect(result.headers?.['x-amz-sha256-tree-hash']).toBe(checksum);
    expect(result.headers?.location).toBe(`/${ACCOUNT}/vaults/v/archives/${result.headers?.['x-amz-archive-id']}`);
  });
});

describe('HTTP API (v2) events', () => {
  it('verifies a request signed for a named stage: rawPath carries the stage', async () => {
    const request = await sign('PUT', `https://${HTTP_HOST}/prod/-/vaults/v2-named`);
    const event = httpApiEvent(request, { stage: 'prod' });
    expect(event.rawPath).toBe('/prod/-/vaults/v2-named');
    const created = await handler(event);
    expect(created.statusCode).toBe(201);
    expect(created.headers?.location).toBe(`/${ACCOUNT}/vaults/v2-named`);
  });

  it('verifies a request signed for the $default stage', async () => {
    const request = await sign('PUT', `https://${HTTP_HOST}/-/vaults/v2-default`);
    const created = await handler(httpApiEvent(request, { stage: '$default' }));
    expect(created.statusCode).toBe(201);

    const described = await handler(httpApiEvent(await sign('GET', `https://${HTTP_HOST}/-/vaults/v2-default`), { stage: '$default' }));
    expect(described.statusCode).toBe(200);
    expect(JSON.parse(described.body)).toMatchObject({
      VaultName: 'v2-default',
      VaultARN: `arn:aws:glacier:${REGION}:${ACCOUNT}:vaults/v2-default`,
    });
  });

  it('passes the raw query string through (ListVaults limit and marker)', async () => {
    const list = async (query: string) => {
      const request = await sign('GET', `https://${HTTP_HOST}/prod/-/vaults?${query}`, { credentials: OTHER_ROOT });
      const result = await handler(httpApiEvent(request, { stage: 'prod' }));
      expect(result.statusCode).toBe(200);
      return JSON.parse(result.body) as { VaultList: { VaultName: string }[]; Marker: string | null };
    };
    const all = await list('limit=10');
    expect(all.VaultList.map((vault) => vault.VaultName)).toEqual(['list-a', 'list-b', 'list-c']);
    const marker = `arn:aws:glacier:${REGION}:${OTHER_ACCOUNT}:vaults/list-b`;
    const rest = await list(new URLSearchParams({ limit: '1', marker }).toString());
    expect(rest).toEqual({ VaultList: [expect.objectContaining({ VaultName: 'list-c' })], Marker: null });
  });

  it('uploads a base64-encoded binary body signed as the SDK signs it, and returns it base64-encoded after a retrieval job', async () => {
    const body = Buffer.concat([Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00]), randomBytes(5000)]);
    const checksum = treeHash(body).toString('hex');
    const upload = await sign('POST', `https://${HTTP_HOST}/prod/-/vaults/v2-named/archives`, {
      body,
      headers: { 'x-amz-sha256-tree-hash': checksum },
    });
    expect(upload.headers.authorization).toContain('content-length;content-type;host;');
    const uploaded = await handler(httpApiEvent(upload, { stage: 'prod' }));
    expect(uploaded.statusCode).toBe(201);
    expect(uploaded.headers?.['x-amz-sha256-tree-hash']).toBe(checksum);
    const archiveId = uploaded.headers?.['x-amz-archive-id'] as string;

    const jobBody = Buffer.from(JSON.stringify({ Type: 'archive-retrieval', ArchiveId: archiveId, Tier: 'Expedited' }));
    const initiate = await sign('POST', `https://${HTTP_HOST}/prod/-/vaults/v2-named/jobs`, {
      body: jobBody,
      headers: { 'content-type': 'application/json' },
    });
    const initiated = await handler(httpApiEvent(initiate, { stage: 'prod', text: true }));
    expect(initiated.statusCode).toBe(202);
    const jobId = initiated.headers?.['x-amz-job-id'] as string;
    expect(jobId).toEqual(expect.any(String));

    const output = await handler(
      httpApiEvent(await sign('GET', `https://${HTTP_HOST}/prod/-/vaults/v2-named/jobs/${jobId}/output`), { stage: 'prod' }),
    );
    expect(output.statusCode).toBe(200);
    expect(output.isBase64Encoded).toBe(true);
    expect(Buffer.from(output.body, 'base64').equals(body)).toBe(true);
    expect(output.headers?.['x-amz-sha256-tree-hash']).toBe(checksum);
  });

  it('refuses a signature for the stage path when rawPath claims another path', async () => {
    const request = await sign('PUT', `https://${HTTP_HOST}/prod/-/vaults/v2-forged`);
    const event = httpApiEvent(request, { stage: '$default' });
    expectError(await handler({ ...event, rawPath: '/-/vaults/v2-forged' }), 403, 'InvalidSignatureException');
  });
});

/** What EventBridge sends a function on a schedule. */
const scheduledEvent = {
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: ACCOUNT,
  time: '2015-10-08T16:53:06Z',
  region: REGION,
  resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/coldvault-inventory`],
  detail: {},
};

describe('scheduled Lambdas, bundled, on an EventBridge scheduled event', () => {
  let bundleDir: string;

  beforeAll(async () => {
    bundleDir = join(dir, 'scheduled');
    const handlers = join(__dirname, '..', '..', 'lambda', 'handlers');
    await build({
      ...LAMBDA_ESBUILD,
      entryPoints: [join(handlers, 'inventory.ts'), join(handlers, 'job-sweeper.ts')],
      outdir: bundleDir,
      logLevel: 'silent',
    });
    writeRunner(bundleDir);
  });

  /** Runs a bundled handler in a new Node process with the Lambda's environment and nothing else. */
  const invoke = (bundle: string, event: unknown) => invokeBundled(bundleDir, bundle, env, event);

  const vaultEvent = async (method: string, suffix: string) =>
    restEvent(await sign(method, `https://${REST_HOST}/prod/-/vaults/scheduled${suffix}`));

  it('inventory: takes every vault of the table and records its archives', async () => {
    expect((await handler(await vaultEvent('PUT', ''))).statusCode).toBe(201);
    const body = randomBytes(1234);
    const upload = await sign('POST', `https://${REST_HOST}/prod/-/vaults/scheduled/archives`, {
      body,
      headers: { 'x-amz-sha256-tree-hash': treeHash(body).toString('hex') },
      signContentLength: false,
    });
    expect((await handler(restEvent(upload))).statusCode).toBe(201);
    const before = JSON.parse((await handler(await vaultEvent('GET', ''))).body) as Record<string, unknown>;
    // Archive counts are as of the last inventory: Glacier answers 0 and 0, and no LastInventoryDate, before the first.
    expect(before).toMatchObject({ VaultName: 'scheduled', NumberOfArchives: 0, SizeInBytes: 0 });
    expect(before).not.toHaveProperty('LastInventoryDate');

    const run = (await invoke('inventory.js', scheduledEvent)) as { vaults: number; failed: unknown[] };
    expect(run.failed).toEqual([]);
    expect(run.vaults).toBeGreaterThanOrEqual(1);

    const after = JSON.parse((await handler(await vaultEvent('GET', ''))).body) as Record<string, unknown>;
    expect(after).toMatchObject({ VaultName: 'scheduled', NumberOfArchives: 1, SizeInBytes: 1234, LastInventoryDate: expect.any(String) });
  });

  it('job sweeper: completes the retrieval jobs that are due', async () => {
    const initiate = await sign('POST', `https://${REST_HOST}/prod/-/vaults/scheduled/jobs`, {
      body: Buffer.from(JSON.stringify({ Type: 'inventory-retrieval', Format: 'JSON' })),
      headers: { 'content-type': 'application/json' },
      signContentLength: false,
    });
    const initiated = await handler(restEvent(initiate));
    expect({ status: initiated.statusCode, body: initiated.body }).toEqual({ status: 202, body: '' });

    expect(
      await invoke('job-sweeper.js', { ...scheduledEvent, resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/coldvault-jobs`] }),
    ).toEqual({ completed: 1, notified: 0 });
    const jobId = initiated.headers?.['x-amz-job-id'] as string;
    const described = await handler(await vaultEvent('GET', `/jobs/${jobId}`));
    expect(JSON.parse(described.body)).toMatchObject({
      JobId: jobId,
      Action: 'InventoryRetrieval',
      Completed: true,
      StatusCode: 'Succeeded',
    });
  });
});
