// GetJobOutput on the Lambda plane: the streaming handler driven as the Lambda runtime drives
// it (a response stream whose HTTP metadata goes first), and the buffered handler's limit.
import { signedRestEvent } from '../support/api-gateway-event';
import { ACCOUNT } from '../support/accounts';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { treeHash } from '../../lambda/domain/checksums';
import { createApi, type Api } from '../../lambda/http/api';
import { apiGatewayHandler } from '../../lambda/http/apigw';
import { streamingApiHandler } from '../../lambda/http/apigw-stream';
import { LAMBDA_MAX_BODY_BYTES } from '../../lambda/config';
import { ensureTable } from '../../lambda/local/embedded-stores';
import { StaticKeyStore } from '../../lambda/store/keys';
import { LAMBDA_ESBUILD } from '../../lib/bundling';
import { startDynalite } from '../support/embedded';
import { build } from 'esbuild';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { memoryServices, type MemoryServices } from '../support/memory-stores';

const ROOT = { accessKeyId: 'AKIDCOLDVAULTSTREAM1', secretAccessKey: 'stream-output-root-secret-access-key-01' };
const HOST = 'abc123.execute-api.us-east-1.amazonaws.com';
const STAGE = 'prod';
const OUTPUT_BYTES = 20 * 1024 * 1024;
const DATA_ENDPOINT = 'https://data.example.com';

/** What the runtime's response stream received: the HTTP metadata written ahead of the body, then the body. */
class CapturedResponse extends Writable implements awslambda.ResponseStream {
  readonly chunks: Buffer[] = [];
  contentType?: string;
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    done();
  }
  setContentType(contentType: string): void {
    this.contentType = contentType;
  }
  /** The runtime's framing: JSON metadata, eight NUL bytes, then the body. */
  parsed(): { statusCode: number; headers: Record<string, string>; body: Buffer } {
    const all = Buffer.concat(this.chunks);
    const end = all.indexOf(Buffer.alloc(8));
    expect(end).toBeGreaterThan(0);
    const metadata = JSON.parse(all.subarray(0, end).toString('utf8')) as { statusCode: number; headers: Record<string, string> };
    return { ...metadata, body: all.subarray(end + 8) };
  }
}

// The globals the Node.js runtime defines for streaming handlers, as it defines them.
const runtime = {
  streamifyResponse: <E>(handler: awslambda.StreamingHandler<E>) => handler,
  HttpResponseStream: {
    from(stream: awslambda.ResponseStream, metadata: awslambda.HttpResponseMetadata) {
      stream.setContentType('application/vnd.awslambda.http-integration-response');
      stream.write(JSON.stringify(metadata));
      stream.write(Buffer.alloc(8));
      return stream;
    },
  },
};
(globalThis as unknown as { awslambda: typeof runtime }).awslambda = runtime;

let svc: MemoryServices;
let api: Api;
let archive: Buffer;
let jobId: string;

function restEvent(
  method: string,
  path: string,
  body: Buffer = Buffer.alloc(0),
  extra: Record<string, string> = {},
  signingDate = svc.now(),
): Promise<APIGatewayProxyEvent> {
  return signedRestEvent(method, path, { host: HOST, credentials: ROOT, stage: STAGE, headers: extra, body, signingDate });
}

beforeAll(async () => {
  // Past the Lambda request limit only so that the 20 MB archive goes in with one request.
  svc = memoryServices(undefined, undefined, { maxBodyBytes: 64 * 1024 * 1024 });
  api = createApi({
    svc,
    keys: new StaticKeyStore({ [ROOT.accessKeyId]: { accountId: ACCOUNT, secretAccessKey: ROOT.secretAccessKey } }),
    users: { getUser: async () => undefined },
    log: () => undefined,
  });
  const buffered = apiGatewayHandler(async () => api);
  const call = async (event: Promise<APIGatewayProxyEvent>) => {
    const result = await buffered(await event);
    expect(result.statusCode).toBeLessThan(300);
    return result;
  };
  await call(restEvent('PUT', '/-/vaults/streamed'));
  archive = randomBytes(OUTPUT_BYTES);
  const uploaded = await call(
    restEvent('POST', '/-/vaults/streamed/archives', archive, { 'x-amz-sha256-tree-hash': treeHash(archive).toString('hex') }),
  );
  const archiveId = String(uploaded.headers!['x-amz-archive-id']);
  const job = Buffer.from(JSON.stringify({ Type: 'archive-retrieval', ArchiveId: archiveId, Tier: 'Expedited' }));
  const initiated = await call(restEvent('POST', '/-/vaults/streamed/jobs', job, { 'content-type': 'application/json' }));
  jobId = String(initiated.headers!['x-amz-job-id']);
  svc.advance(60 * 60 * 1000);
  const described = await call(restEvent('GET', `/-/vaults/streamed/jobs/${jobId}`));
  expect(JSON.parse(described.body).StatusCode).toBe('Succeeded');
});

describe('the streaming handler', () => {
  it('serves a whole 20 MB job output in one GET, metadata first, as the runtime frames it', async () => {
    const handler = awslambda.streamifyResponse(
      streamingApiHandler(async () => api, { dataEndpoint: DATA_ENDPOINT, log: () => undefined }),
    );
    const response = new CapturedResponse();
    await handler(await restEvent('GET', `/-/vaults/streamed/jobs/${jobId}/output`), response, {} as never);
    const { statusCode, headers, body } = response.parsed();
    expect(response.contentType).toBe('application/vnd.awslambda.http-integration-response');
    expect(statusCode).toBe(200);
    expect(headers['x-amz-sha256-tree-hash']).toBe(treeHash(archive).toString('hex'));
    expect(body.length).toBe(OUTPUT_BYTES);
    expect(body.equals(archive)).toBe(true);
    expect(response.writableEnded).toBe(true);
  });

  it("answers an output past Lambda's streaming limit with an error naming Range and the data plane", async () => {
    // 20 MB stands in for 200 MB: the limit is a parameter of the same handler.
    const limit = 8 * 1024 * 1024;
    const handler = awslambda.streamifyResponse(
      streamingApiHandler(async () => api, { dataEndpoint: DATA_ENDPOINT, maxBytes: limit, log: () => undefined }),
    );
    const response = new CapturedResponse();
    await handler(await restEvent('GET', `/-/vaults/streamed/jobs/${jobId}/output`), response, {} as never);
    const { statusCode, headers, body } = response.parsed();
    expect(statusCode).toBe(400);
    expect(headers['x-amzn-errortype']).toBe('InvalidParameterValueException');
    const { message } = JSON.parse(body.toString('utf8')) as { message: string };
    expect(message).toContain(`${OUTPUT_BYTES} bytes`);
    expect(message).toContain(`at most ${limit} bytes`);
    expect(message).toContain('Range');
    expect(message).toContain(DATA_ENDPOINT);
  });

  it('serves a range of it as asked', async () => {
    const handler = awslambda.streamifyResponse(streamingApiHandler(async () => api, { log: () => undefined }));
    const response = new CapturedResponse();
    const last = 2 * 1024 * 1024 - 1;
    await handler(
      await restEvent('GET', `/-/vaults/streamed/jobs/${jobId}/output`, undefined, { range: `bytes=0-${last}` }),
      response,
      {} as never,
    );
    const { statusCode, headers, body } = response.parsed();
    expect(statusCode).toBe(206);
    expect(headers['content-range']).toBe(`bytes 0-${last}/${OUTPUT_BYTES}`);
    expect(body.equals(archive.subarray(0, last + 1))).toBe(true);
  });

  it('answers a request-target that is not one canonical path with 400, as the buffered handler does, not with a failed invocation', async () => {
    // API Gateway matches {jobId} to any one segment, "%2E%2E" too, and passes the path as sent.
    const event = await restEvent('GET', '/-/vaults/streamed/jobs/%2E%2E/output');
    const buffered = await apiGatewayHandler(
      async () => api,
      () => undefined,
    )(event);
    expect(buffered.statusCode).toBe(400);

    const handler = awslambda.streamifyResponse(streamingApiHandler(async () => api, { log: () => undefined }));
    const response = new CapturedResponse();
    await handler(event, response, {} as never);
    const { statusCode, headers, body } = response.parsed();
    expect(statusCode).toBe(400);
    expect(headers['x-amzn-errortype']).toBe('InvalidParameterValueException');
    expect(JSON.parse(body.toString('utf8'))).toEqual(JSON.parse(buffered.body));
    expect(response.writableEnded).toBe(true);
  });
});

describe('the buffered handler', () => {
  it('still refuses a whole output past its limit, naming Range', async () => {
    // Its endpoint's limit: the Lambda one, as the api function is configured.
    const lambdaApi = createApi({
      svc: { ...svc, maxBodyBytes: LAMBDA_MAX_BODY_BYTES },
      keys: new StaticKeyStore({ [ROOT.accessKeyId]: { accountId: ACCOUNT, secretAccessKey: ROOT.secretAccessKey } }),
      users: { getUser: async () => undefined },
      log: () => undefined,
    });
    const result = await apiGatewayHandler(async () => lambdaApi)(await restEvent('GET', `/-/vaults/streamed/jobs/${jobId}/output`));
    expect(result.statusCode).toBe(400);
    const { code, message } = JSON.parse(result.body) as { code: string; message: string };
    expect(code).toBe('InvalidParameterValueException');
    expect(message).toContain(`${OUTPUT_BYTES} bytes`);
    expect(message).toContain('Range');
  });
});

// The runtime as the bundled entry point meets it: the globals defined before the module loads,
// the handler called with the event, a response stream and a context.
const RUNNER = `
const { Writable } = require('node:stream');
const { writeFileSync } = require('node:fs');
const chunks = [];
const stream = new Writable({ write(chunk, _encoding, done) { chunks.push(Buffer.from(chunk)); done(); } });
stream.setContentType = () => undefined;
globalThis.awslambda = {
  streamifyResponse: (handler) => handler,
  HttpResponseStream: { from(s, metadata) { s.write(JSON.stringify(metadata)); s.write(Buffer.alloc(8)); return s; } },
};
const { handler } = require(process.argv[2]);
let input = '';
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', () => {
  const context = { awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef', functionName: 'api-stream', functionVersion: '$LATEST', memoryLimitInMB: '1024', invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:api-stream' };
  handler(JSON.parse(input), stream, context).then(
    () => writeFileSync(process.argv[3], Buffer.concat(chunks)),
    (error) => { console.error(error); process.exitCode = 1; },
  );
});
`;

describe('the bundled streaming entry point', () => {
  it("answers through the runtime's response stream, with the same request path as the api function", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coldvault-stream-bundle-'));
    const dynamo = await startDynalite();
    try {
      await build({
        ...LAMBDA_ESBUILD,
        entryPoints: [join(__dirname, '..', '..', 'lambda', 'handlers', 'api-stream.ts')],
        outfile: join(dir, 'index.js'),
        logLevel: 'warning',
      });
      writeFileSync(join(dir, 'runner.js'), RUNNER);
      const db = new DynamoDBClient({
        region: 'us-east-1',
        endpoint: dynamo.endpoint,
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      });
      await ensureTable(db, 'coldvault-stream');
      db.destroy();
      const event = await restEvent('GET', '/-/vaults/absent/jobs/no-such-job/output', undefined, {}, new Date());
      const child = spawn(process.execPath, [join(dir, 'runner.js'), join(dir, 'index.js'), join(dir, 'out')], {
        env: {
          PATH: process.env.PATH,
          COLDVAULT_ACCOUNT_ID: ACCOUNT,
          AWS_REGION: 'us-east-1',
          COLDVAULT_TABLE: 'coldvault-stream',
          COLDVAULT_BUCKET: 'unused',
          COLDVAULT_ACCESS_KEY_ID: ROOT.accessKeyId,
          COLDVAULT_SECRET_ACCESS_KEY: ROOT.secretAccessKey,
          COLDVAULT_DYNAMODB_ENDPOINT: dynamo.endpoint,
          COLDVAULT_S3_ENDPOINT: 'http://127.0.0.1:9',
          COLDVAULT_DATA_ENDPOINT: DATA_ENDPOINT,
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let logs = '';
      child.stdout.on('data', (chunk) => (logs += chunk));
      child.stderr.on('data', (chunk) => (logs += chunk));
      child.stdin.end(JSON.stringify(event));
      const code = await new Promise((resolve) => child.on('exit', resolve));
      expect({ code, logs: code === 0 ? '' : logs }).toEqual({ code: 0, logs: '' });
      const response = new CapturedResponse();
      response.chunks.push(readFileSync(join(dir, 'out')));
      const { statusCode, headers, body } = response.parsed();
      expect(statusCode).toBe(404);
      expect(headers['x-amzn-errortype']).toBe('ResourceNotFoundException');
      expect(JSON.parse(body.toString('utf8'))).toMatchObject({ code: 'ResourceNotFoundException' });
      // One request log line with the invocation's context, as the api function writes it.
      const line = logs.split('\n').find((l) => l.includes('"message":"request"'));
      expect(JSON.parse(line!)).toMatchObject({
        operation: 'GetJobOutput',
        status: 404,
        function_request_id: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      });
    } finally {
      await dynamo.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
