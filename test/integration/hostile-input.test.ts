// Malformed and hostile requests: each gets Glacier's error for what is wrong, stores nothing,
// and leaves the server serving.
import { exchange as exchangeWith, requestHead, type Answer } from '../support/raw-http';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { MiB, treeHash } from '../../lambda/domain/checksums';
import { startTestServer, type TestServer } from '../support/local-server';
import { signedHeaders, signedRequest, type RawRequest } from '../support/signed-request';
import { expectGlacierError, expectStillServing, seedVault, storedState as storedStateOf, type SeededVault } from '../support/seeded-vault';

const VAULT = 'hostile';
const MAX_BODY = MiB + 1024;

let server: TestServer;
let seeded: SeededVault;
let jobId: string;
let uploadId: string;

beforeAll(async () => {
  server = await startTestServer({ COLDVAULT_MAX_BODY_BYTES: String(MAX_BODY), COLDVAULT_JOB_DELAY_SECONDS: '0' });
  seeded = await seedVault(server, VAULT, MiB);
  ({ jobId, uploadId } = seeded);
});
afterAll(() => server.destroy());

const storedState = () => storedStateOf(server, seeded);
const stillServing = () => expectStillServing(server);

/** Sends a hostile request and checks the error it gets, that nothing was stored, and that the server still serves. */
async function rejects(send: () => Promise<Answer>, status: number, code: string, message?: RegExp | string) {
  const before = await storedState();
  expectGlacierError(await send(), status, code, message);
  expect(await storedState()).toEqual(before);
  await stillServing();
}

const request = (req: RawRequest) => () => signedRequest(server.url, req);
/** Writes bytes on a new connection to the server; collects the answers (see raw-http). */
const exchange = (bytes: Buffer, options?: Parameters<typeof exchangeWith>[2]) => exchangeWith(server.url, bytes, options);

/** Signs a request as SDKs do and returns its headers, for requests written byte by byte. */
const signHeaders = (method: string, path: string, headers: Record<string, string>, body: Buffer, signingDate?: Date) =>
  signedHeaders(server.url, { method, path, headers, body, signingDate });

/** The one answer the server gives before it closes the connection. */
async function onlyAnswerThenClosed(bytes: Buffer): Promise<Answer> {
  const { answers, closed } = await exchange(bytes);
  expect(closed).toBe(true);
  expect(answers).toHaveLength(1);
  return answers[0];
}

/** One upload request written byte by byte, signed over `signedBody`. */
async function rawUpload(options: { description?: string; signedBody: Buffer; sentBody?: Buffer; contentLength?: number }) {
  const extra: Record<string, string> = options.description === undefined ? {} : { 'x-amz-archive-description': options.description };
  const body = options.sentBody ?? options.signedBody;
  const path = `/-/vaults/${VAULT}/archives`;
  const headers = await signHeaders(
    'POST',
    path,
    { 'x-amz-sha256-tree-hash': treeHash(options.signedBody).toString('hex'), ...extra },
    options.signedBody,
  );
  return Buffer.concat([requestHead('POST', path, { ...headers, 'content-length': String(options.contentLength ?? body.length) }), body]);
}

const json = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
const deeplyNested = '['.repeat(200_000) + ']'.repeat(200_000);

describe('JSON bodies', () => {
  // Every row has all four values: jest reads a test function with more parameters than the row as one taking `done`.
  const operations: [string, string, string, Record<string, string>][] = [
    ['InitiateJob', 'POST', `/-/vaults/${VAULT}/jobs`, {}],
    ['SetVaultNotifications', 'PUT', `/-/vaults/${VAULT}/notification-configuration`, {}],
    ['SetVaultAccessPolicy', 'PUT', `/-/vaults/${VAULT}/access-policy`, {}],
    ['InitiateVaultLock', 'POST', `/-/vaults/${VAULT}/lock-policy`, {}],
    ['AddTagsToVault', 'POST', `/-/vaults/${VAULT}/tags`, { operation: 'add' }],
    ['RemoveTagsFromVault', 'POST', `/-/vaults/${VAULT}/tags`, { operation: 'remove' }],
    ['SetDataRetrievalPolicy', 'PUT', '/-/policies/data-retrieval', {}],
  ];
  const malformed = [
    '{',
    '{"Policy": ',
    "{'Type': 'x'}",
    '{"a":1}}',
    'nul',
    '\u0000',
    Buffer.from([0xff, 0xfe, 0x7b]).toString('latin1'),
    deeplyNested.slice(0, 1000),
  ];
  const notObjects = ['[]', '"text"', '42', 'null', 'true', deeplyNested];

  it.each(operations)('%s refuses malformed JSON', async (_, method, path, query) => {
    for (const body of malformed) {
      await rejects(
        request({ method, path, query, body: Buffer.from(body, 'latin1') }),
        400,
        'InvalidParameterValueException',
        'The request body is not valid JSON.',
      );
    }
  });

  it.each(operations)('%s refuses JSON that is not an object', async (_, method, path, query) => {
    for (const body of notObjects) {
      await rejects(
        request({ method, path, query, body: json(body) }),
        400,
        'InvalidParameterValueException',
        /^The request body must be a JSON object/,
      );
    }
  });

  const wrongTypes: [string, unknown, string, RegExp | string][] = [
    ['InitiateJob', { Type: 5 }, 'InvalidParameterValueException', /^Invalid Type: it must be a string/],
    ['InitiateJob', { Type: ['archive-retrieval'] }, 'InvalidParameterValueException', /^Invalid Type/],
    [
      'InitiateJob',
      { Type: 'archive-retrieval', ArchiveId: { id: 'x' } },
      'InvalidParameterValueException',
      /^Invalid ArchiveId: it must be a string/,
    ],
    [
      'InitiateJob',
      { Type: 'archive-retrieval', ArchiveId: 'x', Tier: 1 },
      'InvalidParameterValueException',
      /^Invalid Tier: it must be a string/,
    ],
    [
      'InitiateJob',
      { Type: 'inventory-retrieval', InventoryRetrievalParameters: 'all' },
      'InvalidParameterValueException',
      /^Invalid InventoryRetrievalParameters/,
    ],
    [
      'InitiateJob',
      { Type: 'inventory-retrieval', InventoryRetrievalParameters: { Limit: 10 } },
      'InvalidParameterValueException',
      /^Invalid Limit: it must be a string/,
    ],
    [
      'InitiateJob',
      { Type: 'archive-retrieval', ArchiveId: 'x', Description: 7 },
      'InvalidParameterValueException',
      /^Invalid Description: it must be a string/,
    ],
    [
      'InitiateJob',
      { Type: 'archive-retrieval', ArchiveId: 'x', SNSTopic: true },
      'InvalidParameterValueException',
      /^Invalid SNSTopic: it must be a string/,
    ],
    [
      'SetVaultNotifications',
      { SNSTopic: 1, Events: ['ArchiveRetrievalCompleted'] },
      'InvalidParameterValueException',
      /SNSTopic must be the ARN/,
    ],
    [
      'SetVaultNotifications',
      { SNSTopic: 'arn:aws:sns:us-east-1:123456789012:t', Events: 'ArchiveRetrievalCompleted' },
      'InvalidParameterValueException',
      /Events must list one or more of/,
    ],
    [
      'SetVaultNotifications',
      { SNSTopic: 'arn:aws:sns:us-east-1:123456789012:t', Events: [1] },
      'InvalidParameterValueException',
      /Events must list/,
    ],
    [
      'SetVaultAccessPolicy',
      { Policy: { Version: '2012-10-17', Statement: [] } },
      'InvalidParameterValueException',
      /^The request body must be \{"Policy"/,
    ],
    ['SetVaultAccessPolicy', { Policy: 'not a policy' }, 'InvalidParameterValueException', /not valid JSON/],
    ['SetVaultAccessPolicy', { Policy: '[]' }, 'InvalidParameterValueException', /must be a JSON object/],
    ['InitiateVaultLock', { Policy: 12 }, 'InvalidParameterValueException', /^The request body must be \{"Policy"/],
    ['InitiateVaultLock', { Policy: deeplyNested }, 'InvalidParameterValueException', /the maximum is \d+ bytes|must be a JSON object/],
    ['AddTagsToVault', { Tags: ['a', 'b'] }, 'InvalidParameterValueException', /^Invalid Tags: it must be a map/],
    ['AddTagsToVault', { Tags: 'a=b' }, 'InvalidParameterValueException', /^Invalid Tags: it must be a map/],
    ['AddTagsToVault', { Tags: { k: 1 } }, 'InvalidParameterValueException', /^Invalid value for tag "k": it must be a string/],
    ['AddTagsToVault', { Tags: { k: null } }, 'InvalidParameterValueException', /^Invalid value for tag "k": it must be a string/],
    ['AddTagsToVault', {}, 'MissingParameterValueException', 'Required parameter missing: Tags'],
    ['RemoveTagsFromVault', { TagKeys: 'k' }, 'InvalidParameterValueException', /^Invalid TagKeys: it must be a list/],
    ['RemoveTagsFromVault', { TagKeys: [1, 2] }, 'InvalidParameterValueException', /^Invalid TagKeys: it must be a list/],
    ['RemoveTagsFromVault', { TagKeys: { k: 'v' } }, 'InvalidParameterValueException', /^Invalid TagKeys: it must be a list/],
    ['SetDataRetrievalPolicy', { Policy: 'FreeTier' }, 'InvalidParameterValueException', /^Invalid Policy: it must be an object/],
    ['SetDataRetrievalPolicy', { Policy: { Rules: { Strategy: 'FreeTier' } } }, 'InvalidParameterValueException', /^Invalid Rules/],
    [
      'SetDataRetrievalPolicy',
      { Policy: { Rules: ['FreeTier'] } },
      'InvalidParameterValueException',
      /^Invalid rule: it must be an object/,
    ],
    ['SetDataRetrievalPolicy', { Policy: { Rules: [{ Strategy: 3 }] } }, 'InvalidParameterValueException', /^Invalid Strategy: 3/],
    [
      'SetDataRetrievalPolicy',
      { Policy: { Rules: [{ Strategy: 'BytesPerHour', BytesPerHour: '1000' }] } },
      'InvalidParameterValueException',
      /^Invalid BytesPerHour: "1000"/,
    ],
  ];

  it.each(wrongTypes.map(([operation, body, ...rest]) => [operation, JSON.stringify(body).slice(0, 100), body, ...rest] as const))(
    '%s refuses %s',
    async (operation, _, body, code, message) => {
      const [, method, path, query] = operations.find(([name]) => name === operation) as (typeof operations)[number];
      await rejects(request({ method, path, query, body: json(body) }), 400, code, message);
    },
  );
});

describe('headers', () => {
  it('refuses a missing x-amz-sha256-tree-hash, Content-Range or part size', async () => {
    const body = randomBytes(100);
    await rejects(
      request({
        method: 'PUT',
        path: `/-/vaults/${VAULT}/multipart-uploads/${uploadId}`,
        headers: { 'x-amz-sha256-tree-hash': treeHash(body).toString('hex') },
        body,
      }),
      400,
      'MissingParameterValueException',
      'Required parameter missing: Content-Range',
    );
    await rejects(
      request({
        method: 'PUT',
        path: `/-/vaults/${VAULT}/multipart-uploads/${uploadId}`,
        headers: { 'content-range': 'bytes 0-99/*' },
        body,
      }),
      400,
      'MissingParameterValueException',
      'Required parameter missing: x-amz-sha256-tree-hash',
    );
    await rejects(
      request({ method: 'POST', path: `/-/vaults/${VAULT}/multipart-uploads` }),
      400,
      'InvalidParameterValueException',
      /^Invalid part size: null/,
    );
  });

  // Over 1 MiB the body can't be read to compute its hash: refused before it is read, with the same message.
  it.each([100, MiB + 100])('refuses an upload of %i bytes without x-amz-content-sha256', async (size) => {
    const body = randomBytes(size);
    await rejects(
      request({
        method: 'POST',
        path: `/-/vaults/${VAULT}/archives`,
        headers: { 'x-amz-sha256-tree-hash': treeHash(body).toString('hex') },
        body,
        noContentHash: true,
      }),
      400,
      'MissingParameterValueException',
      'Required parameter missing: x-amz-content-sha256',
    );
  });

  it('refuses a repeated x-amz-sha256-tree-hash, Content-Range and x-amz-archive-description', async () => {
    const body = randomBytes(100);
    const hash = treeHash(body).toString('hex');
    const repeat = (name: string, value: string) => (signed: { headers: Record<string, string> }) => {
      signed.headers[name] = [value, value] as unknown as string;
    };
    await rejects(
      request({
        method: 'POST',
        path: `/-/vaults/${VAULT}/archives`,
        headers: { 'x-amz-sha256-tree-hash': hash },
        body,
        tamper: repeat('x-amz-sha256-tree-hash', hash),
      }),
      400,
      'InvalidParameterValueException',
      'Header x-amz-sha256-tree-hash may appear only once.',
    );
    await rejects(
      request({
        method: 'PUT',
        path: `/-/vaults/${VAULT}/multipart-uploads/${uploadId}`,
        headers: { 'x-amz-sha256-tree-hash': hash, 'content-range': 'bytes 0-99/*' },
        body,
        tamper: repeat('content-range', 'bytes 0-99/*'),
      }),
      400,
      'InvalidParameterValueException',
      'Header content-range may appear only once.',
    );
    await rejects(
      request({
        method: 'POST',
        path: `/-/vaults/${VAULT}/archives`,
        headers: { 'x-amz-sha256-tree-hash': hash, 'x-amz-archive-description': 'one' },
        body,
        tamper: repeat('x-amz-archive-description', 'one'),
      }),
      400,
      'InvalidParameterValueException',
      'Header x-amz-archive-description may appear only once.',
    );
  });

  it('refuses a description over 1,024 characters, and headers over the size node:http takes', async () => {
    const body = randomBytes(100);
    const hash = treeHash(body).toString('hex');
    await rejects(
      request({
        method: 'POST',
        path: `/-/vaults/${VAULT}/archives`,
        headers: { 'x-amz-sha256-tree-hash': hash, 'x-amz-archive-description': 'd'.repeat(1025) },
        body,
      }),
      400,
      'InvalidParameterValueException',
      'Invalid archive description: it is 1025 characters long; the maximum is 1024.',
    );
    for (const size of [100 * 1024, 1024 * 1024]) {
      const bytes = await rawUpload({ description: 'd'.repeat(size), signedBody: body });
      await rejects(
        () => onlyAnswerThenClosed(bytes),
        400,
        'InvalidParameterValueException',
        /^The request's headers are larger than the \d+ bytes this endpoint accepts\.$/,
      );
    }
  });

  it('refuses non-ASCII and control characters in a description', async () => {
    const body = randomBytes(100);
    // Bytes as they go over the wire: node:http reads header values as latin1.
    const cases: [string, RegExp][] = [
      [
        Buffer.from('café', 'utf8').toString('latin1'),
        /^Invalid archive description: the character U\+00C3 at position 3 is not printable ASCII/,
      ],
      ['tab\there', /^Invalid archive description: the character U\+0009 at position 3 is not printable ASCII/],
      ['\xa0nbsp', /^Invalid archive description: the character U\+00A0 at position 0 is not printable ASCII/],
    ];
    for (const [description, message] of cases) {
      const bytes = await rawUpload({ description, signedBody: body });
      await rejects(
        async () => {
          const { answers } = await exchange(bytes, { answers: 1 });
          return answers[0];
        },
        400,
        'InvalidParameterValueException',
        message,
      );
    }
    // Control characters that HTTP forbids in a header value are refused by the HTTP parser.
    for (const description of ['bell\x07', 'nul\x00byte', 'esc\x1b[31m', 'del\x7f']) {
      const bytes = await rawUpload({ description, signedBody: body });
      await rejects(
        async () => {
          const { answers, closed } = await exchange(bytes);
          expect(closed).toBe(true);
          return answers[0];
        },
        400,
        'InvalidParameterValueException',
        /^The request is not well-formed HTTP \(HPE_INVALID_HEADER_TOKEN\)/,
      );
    }
  });

  it('refuses a request whose Content-Length is longer than the body it sends, without hanging or storing', async () => {
    const body = randomBytes(1000);
    const bytes = await rawUpload({ signedBody: body, sentBody: body.subarray(0, 600), contentLength: 1000 });
    const before = await storedState();
    const { hostname, port } = new URL(server.url);
    const socket = connect(Number(port), hostname);
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.write(bytes, () => resolve()));
    // The server waits for the rest of the body: meanwhile it stores nothing and serves others.
    await new Promise((r) => setTimeout(r, 300));
    expect(await storedState()).toEqual(before);
    await stillServing();
    // The client gives up: the half-received upload is dropped.
    socket.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect(await storedState()).toEqual(before);
    await stillServing();
  });

  it('refuses a request whose body is longer than its Content-Length, storing nothing', async () => {
    const body = randomBytes(1000);
    // Signed over the whole body, of which only the declared 600 bytes are the request's: that
    // request is answered first (its 600 bytes don't match the signed hash), then the bytes after it.
    const bytes = await rawUpload({ signedBody: body, contentLength: 600 });
    const before = await storedState();
    const { answers, closed } = await exchange(bytes);
    expect(closed).toBe(true);
    expect(answers).toHaveLength(2);
    expectGlacierError(answers[0], 403, 'InvalidSignatureException', /x-amz-content-sha256/);
    expectGlacierError(
      answers[1],
      400,
      'InvalidParameterValueException',
      /^The request is not well-formed HTTP \(HPE_INVALID_METHOD\).*exactly Content-Length bytes/,
    );
    expect(await storedState()).toEqual(before);
    await stillServing();
    // Declared and sent length agree, but the signed body was longer.
    await rejects(
      async () => {
        const { answers } = await exchange(await rawUpload({ signedBody: body, sentBody: body.subarray(0, 600) }), { answers: 1 });
        return answers[0];
      },
      403,
      'InvalidSignatureException',
      /x-amz-content-sha256/,
    );
  });

  it('refuses a body over the payload limit, for archives, parts and JSON', async () => {
    const big = randomBytes(MAX_BODY + 1);
    const hash = treeHash(big).toString('hex');
    const limit = /^The request body \(\d+ bytes\) exceeds this endpoint's limit of 1049600 bytes/;
    await rejects(
      request({ method: 'POST', path: `/-/vaults/${VAULT}/archives`, headers: { 'x-amz-sha256-tree-hash': hash }, body: big }),
      400,
      'InvalidParameterValueException',
      limit,
    );
    await rejects(
      request({
        method: 'PUT',
        path: `/-/vaults/${VAULT}/multipart-uploads/${uploadId}`,
        headers: { 'x-amz-sha256-tree-hash': hash, 'content-range': `bytes 0-${MAX_BODY}/*` },
        body: big,
      }),
      400,
      'InvalidParameterValueException',
      limit,
    );
    const policy = json({
      Policy: JSON.stringify({
        Statement: [{ Effect: 'Allow', Principal: '*', Action: 'glacier:*', Resource: '*', Sid: 'x'.repeat(MAX_BODY) }],
      }),
    });
    await rejects(
      request({ method: 'PUT', path: `/-/vaults/${VAULT}/access-policy`, body: policy }),
      400,
      'InvalidParameterValueException',
      limit,
    );
  });
});

describe('ranges', () => {
  it.each([
    'bytes=5-2',
    `bytes=0-${MiB}`,
    `bytes=${MiB}-`,
    'bytes=abc',
    'bytes=0-1,4-5',
    'items=0-1',
    'bytes=-0',
    'bytes=99999999999999999999999-1',
    'bytes=0x10-0x20',
    'bytes= 1-2',
  ])('GetJobOutput refuses Range %j', async (range) => {
    await rejects(
      request({ method: 'GET', path: `/-/vaults/${VAULT}/jobs/${jobId}/output`, headers: { range } }),
      400,
      'InvalidParameterValueException',
      `Invalid Range: ${range}. The job output is ${MiB} bytes: request a range within bytes=0-${MiB - 1}.`,
    );
  });

  it.each([
    ['bytes 0-99/100', /^Invalid Content-Range: bytes 0-99\/100\. It must be of the form/],
    ['bytes 99-0/*', /^Invalid Content-Range: bytes 99-0\/\*\. It must be of the form/],
    ['bytes=0-99/*', /^Invalid Content-Range/],
    ['bytes 0-99/*junk', /^Invalid Content-Range/],
    ['bytes -1-98/*', /^Invalid Content-Range/],
    ['bytes 0-199/*', /^Content-Range: bytes 0-199\/\* is incompatible with Content-Length: 100$/],
    ['bytes 1-100/*', /^Invalid Content-Range: bytes 1-100\/\*\. A part must start at a multiple of the part size \(1048576 bytes\)/],
    [
      `bytes ${10_000 * MiB}-${10_000 * MiB + 99}/*`,
      /^This is part number 10001 for the current multipart upload\. It exceeds the limit of 10000 parts\.$/,
    ],
    ['bytes 99999999999999999999-100000000000000000098/*', /Content-Range/],
    ['', /^Invalid Content-Range: \. It must be of the form/],
  ])('UploadMultipartPart refuses Content-Range %j', async (range, message) => {
    const body = randomBytes(100);
    await rejects(
      request({
        method: 'PUT',
        path: `/-/vaults/${VAULT}/multipart-uploads/${uploadId}`,
        headers: { 'x-amz-sha256-tree-hash': treeHash(body).toString('hex'), 'content-range': range },
        body,
      }),
      400,
      'InvalidParameterValueException',
      message,
    );
  });
});

describe('paths, names and operations', () => {
  it.each([
    ['a%2Fb', /^Invalid vault name: "a\/b"\./],
    ['nul%00byte', /^Invalid vault name: "nul\\u0000byte"\./],
    ['v'.repeat(256), /^Invalid vault name: "v{256}"\./],
    ['%C3%A9t%C3%A9', /^Invalid vault name: "été"\./],
    ['sp%20ace', /^Invalid vault name: "sp ace"\./],
  ])('CreateVault refuses the name %s', async (name, message) => {
    await rejects(request({ method: 'PUT', path: `/-/vaults/${name}` }), 400, 'InvalidParameterValueException', message);
  });

  it.each([
    ['PUT', '/-/vaults/a/b'],
    ['PATCH', `/-/vaults/${VAULT}`],
    ['OPTIONS', `/-/vaults/${VAULT}`],
    ['GET', '/'],
    ['GET', `/-/vaults/${VAULT}/archives`],
    ['GET', `/-/vaults/${VAULT}/archives/x/y/z`],
    ['POST', `/-/vaults/${VAULT}/tags`],
    ['DELETE', '/-/vaults'],
  ])('%s %s is no operation', async (method, path) => {
    await rejects(request({ method, path }), 400, 'UnknownOperationException', /^No Glacier operation matches /);
  });

  it.each([
    ['PUT', '/-/vaults/..'],
    ['PUT', '/-/vaults/%2E%2E'],
    ['PUT', '/-/vaults/%zz'],
  ])('%s %s is refused before routing: not a canonical path', async (method, path) => {
    await rejects(request({ method, path }), 400, 'InvalidParameterValueException', /^The request-target .* is refused/);
  });

  it('takes query parameter and signed header names such as constructor and __proto__ as plain names', async () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const listed = await signedRequest(server.url, { method: 'GET', path: '/-/vaults', query: { [name]: 'x' } });
      expect({ name, status: listed.status }).toEqual({ name, status: 200 });
      await rejects(
        request({
          method: 'GET',
          path: '/-/vaults',
          tamper: (signed) => {
            signed.headers.authorization = signed.headers.authorization.replace('SignedHeaders=', `SignedHeaders=${name.toLowerCase()};`);
          },
        }),
        403,
        'InvalidSignatureException',
        `The header '${name.toLowerCase()}' is listed in SignedHeaders but is not in the request.`,
      );
    }
  });

  it('refuses an unknown tags operation', async () => {
    await rejects(
      request({ method: 'POST', path: `/-/vaults/${VAULT}/tags`, query: { operation: 'replace' }, body: json({ Tags: { a: 'b' } }) }),
      400,
      'UnknownOperationException',
      /^No Glacier operation matches POST/,
    );
  });
});

describe('signatures', () => {
  const body = randomBytes(500);
  const upload = (overrides: Partial<RawRequest>) =>
    request({
      method: 'POST',
      path: `/-/vaults/${VAULT}/archives`,
      headers: { 'x-amz-sha256-tree-hash': treeHash(body).toString('hex') },
      body,
      ...overrides,
    });

  it('refuses an upload signed for another service or region', async () => {
    await rejects(
      upload({ service: 's3' }),
      403,
      'InvalidSignatureException',
      "Credential should be scoped to correct service: 'glacier', not 's3'.",
    );
    await rejects(
      upload({ region: 'eu-west-1' }),
      403,
      'InvalidSignatureException',
      "Credential should be scoped to a valid region: 'us-east-1', not 'eu-west-1'.",
    );
  });

  it('refuses an upload replayed after the skew window, byte for byte as it was signed', async () => {
    const signedAt = new Date(Date.now() - 16 * 60_000);
    const path = `/-/vaults/${VAULT}/archives`;
    const headers = await signHeaders('POST', path, { 'x-amz-sha256-tree-hash': treeHash(body).toString('hex') }, body, signedAt);
    const bytes = Buffer.concat([requestHead('POST', path, { ...headers, 'content-length': String(body.length) }), body]);
    await rejects(
      async () => (await exchange(bytes, { answers: 1 })).answers[0],
      403,
      'InvalidSignatureException',
      /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z/,
    );
  });

  it('refuses malformed Authorization and x-amz-date headers', async () => {
    const cases: [(signed: { headers: Record<string, string> }) => void, number, string, RegExp][] = [
      [(s) => (s.headers.authorization = 'Basic dXNlcjpwYXNz'), 400, 'IncompleteSignatureException', /AWS4-HMAC-SHA256/],
      [
        (s) => (s.headers.authorization = 'AWS4-HMAC-SHA256 SignedHeaders=host'),
        400,
        'IncompleteSignatureException',
        /requires 'Credential'/,
      ],
      [
        (s) => (s.headers.authorization = s.headers.authorization.replace(/Signature=\w+/, 'Signature=xyz')),
        400,
        'IncompleteSignatureException',
        /64 hexadecimal/,
      ],
      [
        (s) => (s.headers.authorization = s.headers.authorization.replace(/Credential=[^,]+/, 'Credential=a/b')),
        400,
        'IncompleteSignatureException',
        /5 slash-delimited/,
      ],
      [
        (s) => (s.headers['x-amz-date'] = 'yesterday'),
        400,
        'IncompleteSignatureException',
        /X-Amz-Date header in the form YYYYMMDDTHHMMSSZ/,
      ],
      [(s) => delete s.headers['x-amz-date'], 400, 'IncompleteSignatureException', /X-Amz-Date/],
    ];
    for (const [tamper, status, code, message] of cases) await rejects(upload({ tamper }), status, code, message);
  });
});
