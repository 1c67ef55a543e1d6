// The request body: read from the socket only when asked, hashed as it flows, and refused at its
// end (never before a consumer could commit) when its bytes or count differ from what was signed.
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import { ConfigError, readLocalConfig } from '../../lambda/config';
import { GlacierError } from '../../lambda/domain/errors';
import { apiGatewayHandler, bufferedResponse } from '../../lambda/http/apigw';
import { bufferedBody, streamedBody } from '../../lambda/http/request-body';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A socket's request stand-in: bytes written in chunks, then ended or broken off. */
function incoming(chunks: Buffer[], end: 'end' | 'abort' = 'end'): IncomingMessage {
  const stream = new PassThrough();
  setImmediate(() => {
    for (const chunk of chunks) stream.write(chunk);
    if (end === 'end') stream.end();
    else stream.destroy(new Error('aborted'));
  });
  return stream as unknown as IncomingMessage;
}

const failure = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    return error as GlacierError;
  }
  throw new Error('expected a failure');
};

describe('streamedBody', () => {
  const bytes = randomBytes(300_000);

  it('passes the bytes through when they hash to the signed SHA-256 and match Content-Length', async () => {
    const body = streamedBody(incoming([bytes.subarray(0, 1000), bytes.subarray(1000)]), bytes.length, sha256(bytes));
    expect((await drain(body.stream())).equals(bytes)).toBe(true);
  });

  it('fails at the end, with InvalidSignatureException, when the bytes differ from the signed hash', async () => {
    const changed = Buffer.from(bytes);
    changed[5] ^= 1;
    const error = await failure(drain(streamedBody(incoming([changed]), bytes.length, sha256(bytes)).stream()));
    expect(error).toMatchObject({
      code: 'InvalidSignatureException',
      message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
    });
  });

  it('fails when fewer or more bytes arrive than Content-Length declares, or the client goes away', async () => {
    expect(await failure(drain(streamedBody(incoming([bytes.subarray(0, 10)]), bytes.length, sha256(bytes)).stream()))).toMatchObject({
      code: 'InvalidParameterValueException',
    });
    expect(await failure(drain(streamedBody(incoming([bytes]), 10, sha256(bytes)).stream()))).toMatchObject({
      code: 'InvalidParameterValueException',
    });
    await failure(drain(streamedBody(incoming([bytes.subarray(0, 100)], 'abort'), bytes.length, sha256(bytes)).stream()));
  });

  it('reads a JSON document whole, refusing more than it takes before reading a byte', async () => {
    const doc = Buffer.from('{"a":1}');
    await expect(streamedBody(incoming([doc]), doc.length, sha256(doc)).read()).resolves.toEqual(doc);
    const req = incoming([bytes]);
    expect(await failure(streamedBody(req, bytes.length, sha256(bytes)).read(1000))).toMatchObject({
      code: 'InvalidParameterValueException',
    });
    expect((req as unknown as Readable).readableFlowing).toBeNull();
  });

  it('may be read once', async () => {
    const body = streamedBody(incoming([bytes]), bytes.length, sha256(bytes));
    await drain(body.stream());
    expect(() => body.stream()).toThrow(/once/);
  });
});

describe('bufferedBody', () => {
  it('verifies like the streamed body', async () => {
    const bytes = randomBytes(1000);
    await expect(bufferedBody(bytes, sha256(bytes)).read()).resolves.toEqual(bytes);
    expect(await failure(bufferedBody(bytes, sha256(Buffer.from('other'))).read())).toMatchObject({ code: 'InvalidSignatureException' });
    expect(await failure(drain(bufferedBody(bytes, sha256(Buffer.from('other'))).stream()))).toMatchObject({
      code: 'InvalidSignatureException',
    });
    expect(await failure(bufferedBody(bytes, sha256(bytes)).read(999))).toMatchObject({ code: 'InvalidParameterValueException' });
  });
});

describe('bufferedResponse (the Lambda plane)', () => {
  it('collects a streamed body within the limit, and refuses a larger one naming Range', async () => {
    const small = randomBytes(100);
    const collected = await bufferedResponse({ statusCode: 200, headers: { 'content-length': '100' }, body: Readable.from([small]) }, 1000);
    expect(collected.body.equals(small)).toBe(true);

    const large = await bufferedResponse(
      { statusCode: 200, headers: { 'content-length': '5000' }, body: Readable.from([randomBytes(5000)]) },
      1000,
      () => undefined,
    );
    expect(large.statusCode).toBe(400);
    expect(JSON.parse(large.body.toString())).toMatchObject({
      code: 'InvalidParameterValueException',
      message: expect.stringMatching(/Range/),
    });
  });
});

describe('Lambda results of streamed bodies', () => {
  const handlerOf = (responses: { type: string; chunks: Buffer[] }[]) => {
    let next = 0;
    return apiGatewayHandler(
      async () => async () => {
        const { type, chunks } = responses[next++];
        const length = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
        return { statusCode: 200, headers: { 'content-type': type, 'content-length': String(length) }, body: Readable.from(chunks) };
      },
      () => undefined,
    );
  };
  const event = {
    resource: '/',
    path: '/',
    httpMethod: 'GET',
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: { path: '/' },
    body: null,
    isBase64Encoded: false,
  } as unknown as Parameters<ReturnType<typeof apiGatewayHandler>>[0];

  it('are each body whole, in order, whatever the pieces and the responses before them', async () => {
    const large = randomBytes(300_000);
    const small = randomBytes(1000);
    // A character of 3 bytes split between two pieces.
    const text = Buffer.from('a€b');
    const handler = handlerOf([
      { type: 'application/octet-stream', chunks: [large.subarray(0, 65_537), large.subarray(65_537, 65_538), large.subarray(65_538)] },
      { type: 'application/octet-stream', chunks: [small.subarray(0, 10), small.subarray(10)] },
      { type: 'application/json', chunks: [text.subarray(0, 2), text.subarray(2)] },
      { type: 'application/octet-stream', chunks: [] },
    ]);
    const results = [await handler(event), await handler(event), await handler(event), await handler(event)];
    expect(results.map((result) => result.isBase64Encoded)).toEqual([true, true, false, false]);
    expect(Buffer.from(results[0].body, 'base64').equals(large)).toBe(true);
    expect(Buffer.from(results[1].body, 'base64').equals(small)).toBe(true);
    expect(results[2].body).toBe('a€b');
    expect(results[3].body).toBe('');
  });
});

describe('body limit settings', () => {
  it('locally: Glacier’s 4 GiB, the API Gateway plane’s with COLDVAULT_LIMITS=lambda, or COLDVAULT_MAX_BODY_BYTES', () => {
    expect(readLocalConfig({}).maxBodyBytes).toBe(4 * 1024 ** 3);
    expect(readLocalConfig({ COLDVAULT_LIMITS: 'lambda' }).maxBodyBytes).toBe(4_669_440);
    expect(readLocalConfig({ COLDVAULT_LIMITS: 'lambda', COLDVAULT_MAX_BODY_BYTES: '2048' }).maxBodyBytes).toBe(2048);
    expect(() => readLocalConfig({ COLDVAULT_LIMITS: 'huge' })).toThrow(ConfigError);
    expect(readLocalConfig({}).local).toMatchObject({ maxConnections: 256, headersTimeoutMs: 15_000 });
  });
});
