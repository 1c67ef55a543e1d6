// The api Lambda's log line and EMF metrics per request, read from its output as CloudWatch would,
// with the handler running on the embedded stores.
import { signedRestEvent } from '../support/api-gateway-event';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { treeHash } from '../../lambda/domain/checksums';
import { handler } from '../../lambda/handlers/api';
import { bufferedBody } from '../../lambda/http/request-body';
import { startEmbeddedStores, type EmbeddedStores } from '../../lambda/local/embedded-stores';
import { count, instrumented, log, observedApi } from '../../lambda/observability';
import { lambdaEnvironment } from '../support/bundled-lambda';
import { createTable } from '../support/embedded';
import { ACCOUNT } from '../support/accounts';

const REGION = 'us-east-1';
const HOST = 'observed.execute-api.us-east-1.amazonaws.com';
const TABLE = 'coldvault-observability';
const BUCKET = 'coldvault-observability-archives';
const ROOT = { accessKeyId: 'AKIDCOLDVAULTOBSERVE', secretAccessKey: 'observability-test-secret-0123456789abcdef' };
const CONTEXT = {
  functionName: 'coldvault-test-api',
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:coldvault-test-api`,
  memoryLimitInMB: '1024',
  awsRequestId: 'b3c2a1d0-0000-4000-8000-000000000001',
} as Context;

interface Emf {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

let dir: string;
let stores: EmbeddedStores;
const savedEnv = { ...process.env };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'coldvault-observability-'));
  stores = await startEmbeddedStores(dir, BUCKET);
  await createTable(stores, TABLE, REGION);
  Object.assign(process.env, lambdaEnvironment(stores, { account: ACCOUNT, region: REGION, table: TABLE, bucket: BUCKET, root: ROOT }));
});

afterAll(async () => {
  process.env = savedEnv;
  await stores?.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs `action`, returning what it wrote to stdout and stderr as JSON lines: Powertools writes
 * there (errors to stderr), not through console.log, and Lambda sends both to CloudWatch Logs.
 */
async function outputOf<T>(action: () => Promise<T>): Promise<{ result: T; raw: string; lines: Record<string, unknown>[] }> {
  let raw = '';
  const capture = (chunk: string | Uint8Array) => {
    raw += chunk.toString();
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(capture),
    jest.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  try {
    const result = await action();
    const lines = raw
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    return { result, raw, lines };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

const emfOf = (lines: Record<string, unknown>[]) => {
  const emf = lines.filter((line) => '_aws' in line) as Emf[];
  expect(emf).toHaveLength(1);
  return emf[0];
};
const requestLogOf = (lines: Record<string, unknown>[]) => {
  const logs = lines.filter((line) => line.message === 'request');
  expect(logs).toHaveLength(1);
  return logs[0];
};

/** A REST API proxy event for a request signed as a client signs it. */
function signedEvent(
  method: string,
  path: string,
  options: { body?: Buffer; headers?: Record<string, string>; secretAccessKey?: string } = {},
): Promise<APIGatewayProxyEvent> {
  return signedRestEvent(method, path, {
    host: HOST,
    region: REGION,
    credentials: { accessKeyId: ROOT.accessKeyId, secretAccessKey: options.secretAccessKey ?? ROOT.secretAccessKey },
    headers: options.headers,
    body: options.body,
  });
}

const invoke = (event: APIGatewayProxyEvent) => outputOf(() => handler(event, CONTEXT) as Promise<APIGatewayProxyResult>);

describe('api handler', () => {
  it('emits one EMF record per request, per operation and for the whole service, and one log line', async () => {
    const { result, raw, lines } = await invoke(await signedEvent('PUT', '/-/vaults/observed'));
    expect(result.statusCode).toBe(201);

    const emf = emfOf(lines);
    const [directive] = emf._aws.CloudWatchMetrics;
    expect(directive.Namespace).toBe('Coldvault');
    expect(directive.Dimensions).toEqual([['service', 'Operation'], ['service']]);
    expect(Object.fromEntries(directive.Metrics.map((metric) => [metric.Name, metric.Unit]))).toEqual({
      Requests: 'Count',
      ClientErrors: 'Count',
      ServerErrors: 'Count',
      Latency: 'Milliseconds',
      BytesIn: 'Bytes',
      BytesOut: 'Bytes',
    });
    expect(emf).toMatchObject({
      service: 'coldvault',
      Operation: 'CreateVault',
      Requests: 1,
      ClientErrors: 0,
      ServerErrors: 0,
      BytesIn: 0,
      BytesOut: 0,
    });
    expect(emf.Latency).toEqual(expect.any(Number));

    const logged = requestLogOf(lines);
    expect(logged).toMatchObject({
      level: 'INFO',
      service: 'coldvault',
      requestId: result.headers?.['x-amzn-requestid'],
      operation: 'CreateVault',
      status: 201,
      latencyMs: emf.Latency,
      function_request_id: CONTEXT.awsRequestId,
    });
    expect(raw).not.toMatch(/authorization|signature=|x-amz-content-sha256/i);
    expect(raw).not.toContain(ROOT.secretAccessKey);
  });

  it('counts the bytes of request and response bodies', async () => {
    const archive = Buffer.alloc(3000, 'a');
    const uploaded = await invoke(
      await signedEvent('POST', '/-/vaults/observed/archives', {
        body: archive,
        headers: { 'x-amz-sha256-tree-hash': treeHash(archive).toString('hex') },
      }),
    );
    expect(uploaded.result.statusCode).toBe(201);
    expect(emfOf(uploaded.lines)).toMatchObject({ Operation: 'UploadArchive', BytesIn: 3000, BytesOut: 0 });

    const listed = await invoke(await signedEvent('GET', '/-/vaults'));
    expect(listed.result.statusCode).toBe(200);
    expect(emfOf(listed.lines)).toMatchObject({ Operation: 'ListVaults', BytesIn: 0, BytesOut: Buffer.byteLength(listed.result.body) });
  });

  it('counts a rejected signature as a client error of the operation, and logs no credentials', async () => {
    const { result, raw, lines } = await invoke(
      await signedEvent('DELETE', '/-/vaults/observed', { secretAccessKey: 'not-the-secret-of-the-root-key' }),
    );
    expect(result.statusCode).toBe(403);
    expect(emfOf(lines)).toMatchObject({ Operation: 'DeleteVault', Requests: 1, ClientErrors: 1, ServerErrors: 0 });
    expect(requestLogOf(lines)).toMatchObject({ operation: 'DeleteVault', status: 403 });
    expect(raw).not.toMatch(/authorization|signature=/i);
    expect(raw).not.toContain(ROOT.secretAccessKey);
  });

  it('names requests that match no route Unknown', async () => {
    const { result, lines } = await invoke(await signedEvent('GET', '/-/nothing-here'));
    expect(result.statusCode).toBe(400);
    expect(emfOf(lines)).toMatchObject({ Operation: 'Unknown', ClientErrors: 1 });
  });
});

describe('instrumented handlers', () => {
  it('counts a 5xx answer as a server error and logs the failure at level ERROR', async () => {
    const failing = instrumented(
      observedApi(async () => {
        log('request failed', { requestId: 'req-1', error: 'boom' });
        return { statusCode: 503, headers: { 'x-amzn-requestid': 'req-1' }, body: Buffer.from('{}'), operation: 'ListJobs' };
      }),
    );
    const request = {
      method: 'GET',
      path: '/-/vaults/v/jobs',
      signedPath: '/-/vaults/v/jobs',
      query: {},
      headers: {},
      repeatedHeaders: [],
      body: bufferedBody(Buffer.alloc(0), ''),
    };
    const { lines } = await outputOf(() => failing(request));
    expect(emfOf(lines)).toMatchObject({ Operation: 'ListJobs', Requests: 1, ClientErrors: 0, ServerErrors: 1, BytesOut: 2 });
    expect(lines.filter((line) => line.level === 'ERROR')).toEqual([
      expect.objectContaining({ message: 'request failed', requestId: 'req-1', error: 'boom' }),
    ]);
  });

  it('flushes the metrics of an invocation that throws', async () => {
    const throwing = instrumented(async () => {
      count('InventoryFailures', 2);
      throw new Error('inventory failed');
    });
    let thrown: unknown;
    const { lines } = await outputOf(() => throwing(undefined).catch((error: unknown) => (thrown = error)));
    expect(thrown).toEqual(new Error('inventory failed'));
    const emf = emfOf(lines);
    expect(emf._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service']]);
    expect(emf).toMatchObject({ service: 'coldvault', InventoryFailures: 2 });
  });
});
