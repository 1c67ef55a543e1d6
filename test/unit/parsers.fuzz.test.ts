// Random input for everything that parses a request: the only failure allowed is a GlacierError
// (which the API answers as a 4xx), and what parses must be well-formed and within bounds.
import { createHash } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { uploadArchive } from '../../lambda/domain/archives';
import { MiB, treeHash } from '../../lambda/domain/checksums';
import { GlacierError } from '../../lambda/domain/errors';
import { initiateJob } from '../../lambda/domain/jobs';
import { parseJobRequest, parseRangeHeader } from '../../lambda/ops/job-parameters';
import { MAX_PARTS, parseContentRange } from '../../lambda/domain/multipart';
import { createVault } from '../../lambda/domain/vaults';
import { createApi } from '../../lambda/http/api';
import { apiGatewayHandler, fromApiGatewayEvent, type ApiGatewayEvent } from '../../lambda/http/apigw';
import { matchRoute } from '../../lambda/http/router';
import { ROUTES } from '../../lambda/http/routes';
import { authenticate } from '../../lambda/http/sigv4';
import { bufferedBody } from '../../lambda/http/request-body';
import type { HttpRequest } from '../../lambda/http/types';
import { StaticKeyStore } from '../../lambda/store/keys';
import { memoryServices } from '../support/memory-stores';
import { ACCOUNT } from '../support/accounts';
import { incoming } from '../support/incoming';

const KEY = { accessKeyId: 'AKIDFUZZ', secretAccessKey: 'fuzz-secret' };
const keys = new StaticKeyStore({ [KEY.accessKeyId]: { accountId: ACCOUNT, secretAccessKey: KEY.secretAccessKey } });
const NOW = new Date('2024-06-01T12:00:00Z');

/** Runs `fn`; anything it throws must be a GlacierError of the client's making (or select's 501). */
async function onlyGlacierErrors<T>(fn: () => T | Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: GlacierError }> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    if (!(error instanceof GlacierError)) throw error;
    if (error.code !== 'NotImplementedException') expect(error.status).toBeLessThan(500);
    return { ok: false, error };
  }
}

// Names that are also properties of every object.
const PROTOTYPE_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];
const name = fc.oneof(
  fc.constantFrom(...PROTOTYPE_NAMES, 'host', 'x-amz-date', 'authorization', 'range', 'operation', 'limit'),
  fc.string({ maxLength: 20 }),
);
const dictionary = fc.dictionary(name, fc.string({ maxLength: 40 }), { maxKeys: 6 });
const method = fc.oneof(fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'HEAD', 'get'), fc.string({ maxLength: 8 }));
const segment = fc.oneof(
  fc.constantFrom(
    '-',
    ACCOUNT,
    'vaults',
    'archives',
    'jobs',
    'output',
    'tags',
    'multipart-uploads',
    'lock-policy',
    'policies',
    'data-retrieval',
    '',
    '.',
    '..',
  ),
  fc.constantFrom('%', '%zz', '%2F', '%00', '%C3%A9', '%E0%A4%A', '%FF'),
  fc.string({ maxLength: 12 }),
);
const path = fc.oneof(
  fc.array(segment, { maxLength: 7 }).map((segments) => `/${segments.join('/')}`),
  fc.string({ maxLength: 60 }),
);

describe('matchRoute', () => {
  it('answers any method, path and query with a route that fits them, or with no route', () => {
    fc.assert(
      fc.property(method, path, dictionary, (m, p, query) => {
        const routed = matchRoute(m, p, query);
        if ('error' in routed) {
          expect(['no-path', 'wrong-method']).toContain(routed.error);
          return;
        }
        const { route, params } = routed.match;
        expect(ROUTES).toContain(route);
        expect(route.method).toBe(m);
        for (const [key, value] of Object.entries(route.query ?? {})) expect(query[key]).toBe(value);
        const placeholders = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
        expect(Object.keys(params).sort()).toEqual(placeholders.sort());
        for (const value of Object.values(params)) expect(typeof value).toBe('string');
      }),
      { numRuns: 2000 },
    );
  });

  it('finds each route again from a path built from its template, with the parameters decoded', () => {
    const value = fc.string({ minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(fc.constantFrom(...ROUTES), fc.array(value, { minLength: 3, maxLength: 3 }), (route, values) => {
        let i = 0;
        const expected: Record<string, string> = {};
        const built = route.path.replace(/\{(\w+)\}/g, (_, param: string) => {
          expected[param] = values[i++];
          return encodeURIComponent(expected[param]);
        });
        const routed = matchRoute(route.method, built, route.query ?? {});
        expect(routed).toEqual({ match: { route, params: expected } });
      }),
      { numRuns: 1000 },
    );
  });
});

const v1Event: fc.Arbitrary<APIGatewayProxyEvent> = fc
  .record({
    httpMethod: method,
    path,
    requestPath: fc.option(path, { nil: undefined }),
    headers: fc.option(dictionary, { nil: null }),
    multiValueHeaders: fc.option(fc.dictionary(name, fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }), { maxKeys: 4 }), {
      nil: null,
    }),
    queryStringParameters: fc.option(dictionary, { nil: null }),
    body: fc.option(fc.string({ maxLength: 200 }), { nil: null }),
    isBase64Encoded: fc.boolean(),
  })
  .map(
    ({ requestPath, ...event }) =>
      ({
        ...event,
        resource: '/{proxy+}',
        pathParameters: null,
        stageVariables: null,
        multiValueQueryStringParameters: null,
        requestContext: requestPath === undefined ? undefined : { path: requestPath },
      }) as unknown as APIGatewayProxyEvent,
  );

const v2Event: fc.Arbitrary<APIGatewayProxyEventV2> = fc
  .record({
    method,
    rawPath: path,
    stage: fc.oneof(fc.constantFrom('$default', 'prod', ''), fc.string({ maxLength: 8 })),
    rawQueryString: fc.oneof(
      fc.string({ maxLength: 60 }),
      dictionary.map((query) => new URLSearchParams(query).toString()),
    ),
    headers: dictionary,
    body: fc.option(fc.string({ maxLength: 200 }), { nil: undefined }),
    isBase64Encoded: fc.boolean(),
  })
  .map(
    ({ method: m, stage, ...event }) =>
      ({
        ...event,
        version: '2.0',
        routeKey: '$default',
        requestContext: { stage, http: { method: m } },
      }) as unknown as APIGatewayProxyEventV2,
  );

function expectWellFormed(request: HttpRequest) {
  expect(typeof request.method).toBe('string');
  expect(request.method).toBe(request.method.toUpperCase());
  expect(typeof request.path).toBe('string');
  expect(typeof request.signedPath).toBe('string');
  expect(Number.isSafeInteger(request.body.length) && request.body.length >= 0).toBe(true);
  expect(typeof request.body.stream).toBe('function');
  for (const [key, value] of Object.entries(request.headers)) {
    expect(key).toBe(key.toLowerCase());
    expect(typeof value).toBe('string');
  }
  for (const value of Object.values(request.query)) expect(typeof value).toBe('string');
  expect(Array.isArray(request.repeatedHeaders)).toBe(true);
}

describe('API Gateway events', () => {
  it('turn into a well-formed request, whatever their content', () => {
    fc.assert(
      fc.property(fc.oneof(v1Event, v2Event), (event) => {
        let request: HttpRequest;
        try {
          request = fromApiGatewayEvent(event as ApiGatewayEvent);
        } catch (error) {
          // A path that is not one canonical path is refused, with Glacier's 400.
          expect(error).toBeInstanceOf(GlacierError);
          expect((error as GlacierError).code).toBe('InvalidParameterValueException');
          return;
        }
        expectWellFormed(request);
      }),
      { numRuns: 2000 },
    );
  });

  it('are answered with a 4xx in Glacier shape, never a 5xx from an unexpected exception', async () => {
    const svc = memoryServices();
    const handler = apiGatewayHandler(async () =>
      createApi({ svc, keys, users: { getUser: async () => undefined }, log: () => undefined }),
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(v1Event, v2Event), async (event) => {
        const result = await handler(event as ApiGatewayEvent);
        expect(result.statusCode).toBeGreaterThanOrEqual(400);
        expect(result.statusCode).toBeLessThan(500);
        const body = JSON.parse(result.body) as Record<string, unknown>;
        expect(body).toEqual({ code: result.headers?.['x-amzn-errortype'], message: expect.any(String), type: 'Client' });
      }),
      { numRuns: 1000 },
    );
  });
});

const amzDate = (date: Date) =>
  date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

describe('authenticate', () => {
  const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);
  const dateText = fc.oneof(
    fc.date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map(amzDate),
    fc.stringMatching(/^\d{8}T\d{6}Z$/),
    fc.constant(amzDate(NOW)),
    fc.string({ maxLength: 20 }),
  );
  const credential = fc
    .tuple(
      fc.oneof(fc.constant(KEY.accessKeyId), fc.string({ maxLength: 12 })),
      fc.oneof(fc.constant(amzDate(NOW).slice(0, 8)), fc.string({ maxLength: 10 })),
      fc.oneof(fc.constant('us-east-1'), fc.string({ maxLength: 10 })),
      fc.oneof(fc.constant('glacier'), fc.string({ maxLength: 10 })),
      fc.oneof(fc.constant('aws4_request'), fc.string({ maxLength: 14 })),
      fc.array(fc.string({ maxLength: 5 }), { maxLength: 2 }),
    )
    .map(([id, day, region, service, terminator, more]) => [id, day, region, service, terminator, ...more].join('/'));
  const signedHeaders = fc
    .tuple(fc.boolean(), fc.array(name, { maxLength: 4 }))
    .map(([required, names]) => [...(required ? ['host', 'x-amz-date'] : []), ...names].join(';'));
  const authorization = fc.oneof(
    fc
      .tuple(credential, signedHeaders, fc.oneof(hex64, fc.string({ maxLength: 70 })), fc.constantFrom(', ', ',', ' , '))
      .map(([c, h, s, sep]) => `AWS4-HMAC-SHA256 Credential=${c}${sep}SignedHeaders=${h}${sep}Signature=${s}`),
    fc.string({ maxLength: 120 }).map((rest) => `AWS4-HMAC-SHA256 ${rest}`),
    fc.string({ maxLength: 120 }),
  );

  it('refuses random Authorization and x-amz-date headers with a GlacierError, never another exception', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.option(authorization, { nil: undefined }),
        fc.option(dateText, { nil: undefined }),
        dictionary,
        fc.uint8Array({ maxLength: 64 }),
        async (auth, date, extra, body) => {
          const headers: Record<string, string> = {
            host: 'glacier.us-east-1.amazonaws.com',
            ...Object.fromEntries(Object.entries(extra).map(([key, value]) => [key.toLowerCase(), value])),
          };
          if (auth !== undefined) headers.authorization = auth;
          if (date !== undefined) headers['x-amz-date'] = date;
          const request: HttpRequest = {
            method: 'GET',
            path: '/-/vaults',
            signedPath: '/-/vaults',
            query: {},
            headers,
            repeatedHeaders: [],
            body: bufferedBody(Buffer.from(body), headers['x-amz-content-sha256'] ?? ''),
          };
          const outcome = await onlyGlacierErrors(() => authenticate(request, keys, 'us-east-1', NOW, Buffer.from(body)));
          expect(outcome.ok).toBe(false);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('refuses a well-formed Authorization whose SignedHeaders name any header, present or not', async () => {
    const scope = `${KEY.accessKeyId}/${amzDate(NOW).slice(0, 8)}/us-east-1/glacier/aws4_request`;
    await fc.assert(
      fc.asyncProperty(fc.array(name, { minLength: 1, maxLength: 4 }), dictionary, hex64, async (names, extra, signature) => {
        const headers: Record<string, string> = {
          ...Object.fromEntries(Object.entries(extra).map(([key, value]) => [key.toLowerCase(), value])),
          host: 'glacier.us-east-1.amazonaws.com',
          'x-amz-date': amzDate(NOW),
          authorization: `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=${['host', 'x-amz-date', ...names].join(';')}, Signature=${signature}`,
        };
        const request: HttpRequest = {
          method: 'GET',
          path: '/-/vaults',
          signedPath: '/-/vaults',
          query: {},
          headers,
          repeatedHeaders: [],
          body: bufferedBody(Buffer.alloc(0), ''),
        };
        const outcome = await onlyGlacierErrors(() => authenticate(request, keys, 'us-east-1', NOW));
        expect(outcome.ok).toBe(false);
        if (!outcome.ok) expect(outcome.error.code).toBe('InvalidSignatureException');
      }),
      { numRuns: 1000 },
    );
  });

  it('accepts any request signed with the key, and refuses it once a signed part changed', async () => {
    const signer = new SignatureV4({ service: 'glacier', region: 'us-east-1', credentials: KEY, sha256: Hash.bind(null, 'sha256') });
    const headerValue = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,30}[\x21-\x7e])?$/);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'PUT', 'POST', 'DELETE'),
        fc
          .array(fc.string({ minLength: 1, maxLength: 12 }), { maxLength: 5 })
          // Dot segments are refused before authentication (a canonical path has none).
          .map(
            (segments) =>
              `/${segments
                .filter((segment) => segment !== '.' && segment !== '..')
                .map(encodeURIComponent)
                .join('/')}`,
          ),
        fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.string({ maxLength: 20 }), { maxKeys: 3 }),
        fc.dictionary(fc.stringMatching(/^x-amz-meta-[a-z0-9-]{1,10}$/), headerValue, { maxKeys: 3 }),
        fc.uint8Array({ maxLength: 100 }),
        fc.boolean(),
        async (m, p, query, extra, bytes, withContentHash) => {
          const body = Buffer.from(bytes);
          const headers: Record<string, string> = {
            host: 'glacier.us-east-1.amazonaws.com',
            ...extra,
            ...(withContentHash ? { 'x-amz-content-sha256': createHash('sha256').update(body).digest('hex') } : {}),
          };
          const signed = await signer.sign(
            { method: m, protocol: 'https:', hostname: headers.host, path: p, query, headers, body },
            { signingDate: NOW },
          );
          const sentHeaders = Object.fromEntries(Object.entries(signed.headers).map(([key, value]) => [key.toLowerCase(), String(value)]));
          // As the adapters build it: the body carries the signed payload hash, if one was sent.
          const claimed = sentHeaders['x-amz-content-sha256'];
          const request: HttpRequest = {
            method: m,
            path: p,
            signedPath: p,
            query,
            headers: sentHeaders,
            repeatedHeaders: [],
            body: bufferedBody(body, claimed ?? ''),
          };
          const caller = await authenticate(request, keys, 'us-east-1', NOW, claimed === undefined ? body : undefined);
          expect(caller).toMatchObject({ accountId: ACCOUNT, accessKeyId: KEY.accessKeyId });
          await expect(request.body.read()).resolves.toEqual(body);

          // Authenticated from the headers, with the signed payload hash; the body is then checked as it is read.
          const changedBytes = Buffer.concat([body, Buffer.from('x')]);
          const changed = { ...request, body: bufferedBody(changedBytes, request.body.sha256) };
          const outcome = await onlyGlacierErrors(async () => {
            await authenticate(changed, keys, 'us-east-1', NOW, claimed === undefined ? changedBytes : undefined);
            await changed.body.read();
          });
          expect(outcome.ok).toBe(false);
          if (!outcome.ok) expect(outcome.error.code).toBe('InvalidSignatureException');
        },
      ),
      { numRuns: 300 },
    );
  });
});

const PART_SIZES = Array.from({ length: 13 }, (_, i) => MiB * 2 ** i);

describe('Content-Range (UploadMultipartPart)', () => {
  const number = fc.oneof(
    fc.nat({ max: 20 * MiB }),
    fc.nat().map((n) => n * MiB),
    fc.bigInt({ min: 0n, max: 10n ** 25n }).map(String),
  );
  const raw = fc.oneof(
    fc.tuple(number, number).map(([start, end]) => `bytes ${start}-${end}/*`),
    fc.tuple(number, number, fc.constantFrom('/*', '/100', '', '/* ', '/**')).map(([start, end, tail]) => `bytes ${start}-${end}${tail}`),
    fc.string({ maxLength: 40 }),
  );

  it('returns a part index within the limit whose range is exactly the body, at a multiple of the part size, or throws a GlacierError', async () => {
    await fc.assert(
      fc.asyncProperty(raw, fc.constantFrom(...PART_SIZES), fc.nat({ max: 20 * MiB }), async (range, partSize, bodyLength) => {
        const outcome = await onlyGlacierErrors(() => parseContentRange(range, partSize, bodyLength));
        if (!outcome.ok) {
          expect(outcome.error.code).toBe('InvalidParameterValueException');
          return;
        }
        const index = outcome.value;
        expect(Number.isInteger(index) && index >= 0 && index < MAX_PARTS).toBe(true);
        const [, start, end] = /^bytes (\d+)-(\d+)\/\*$/.exec(range) as RegExpExecArray;
        expect(Number(start)).toBe(index * partSize);
        expect(Number(end) - Number(start) + 1).toBe(bodyLength);
        expect(bodyLength).toBeGreaterThan(0);
        expect(bodyLength).toBeLessThanOrEqual(partSize);
      }),
      { numRuns: 5000 },
    );
  });

  it('accepts every part that starts at a multiple of the part size and is at most that long', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PART_SIZES),
        fc.nat({ max: MAX_PARTS - 1 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (partSize, index, fraction) => {
          const length = Math.max(1, Math.ceil(partSize * fraction));
          const start = index * partSize;
          expect(parseContentRange(`bytes ${start}-${start + length - 1}/*`, partSize, length)).toBe(index);
        },
      ),
    );
  });
});

describe('Range (GetJobOutput)', () => {
  const number = fc.oneof(fc.nat({ max: 5000 }), fc.bigInt({ min: 0n, max: 10n ** 25n }).map(String));
  const raw = fc.oneof(
    fc.tuple(fc.option(number, { nil: '' }), fc.option(number, { nil: '' })).map(([start, end]) => `bytes=${start}-${end}`),
    fc.tuple(number, number, fc.constantFrom(' ', ',0-1', 'x', '-')).map(([start, end, tail]) => `bytes=${start}-${end}${tail}`),
    fc.string({ maxLength: 30 }),
  );

  it('returns a range within the output, or throws a GlacierError', async () => {
    await fc.assert(
      fc.asyncProperty(raw, fc.integer({ min: 1, max: 5000 }), async (range, total) => {
        const outcome = await onlyGlacierErrors(() => parseRangeHeader(range, total));
        if (!outcome.ok) {
          expect(outcome.error.code).toBe('InvalidParameterValueException');
          return;
        }
        const { start, end } = outcome.value;
        expect(Number.isInteger(start) && Number.isInteger(end)).toBe(true);
        expect(0 <= start && start <= end && end < total).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('reads first-last, first- and -suffix ranges as RFC 9110 does', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.nat(), fc.nat(), fc.integer({ min: 1, max: 20_000 }), (total, a, b, suffix) => {
        const [start, end] = [a % total, b % total].sort((x, y) => x - y);
        expect(parseRangeHeader(`bytes=${start}-${end}`, total)).toEqual({ start, end });
        expect(parseRangeHeader(`bytes=${start}-`, total)).toEqual({ start, end: total - 1 });
        expect(parseRangeHeader(`bytes=-${suffix}`, total)).toEqual({ start: Math.max(0, total - suffix), end: total - 1 });
      }),
    );
  });
});

describe('InitiateJob parameters', () => {
  const VAULT = 'fuzz';
  const ARCHIVE_SIZE = 3 * MiB + 5;
  const svc = memoryServices();
  let archiveId: string;

  beforeAll(async () => {
    await createVault(svc, ACCOUNT, VAULT);
    const body = Buffer.alloc(ARCHIVE_SIZE, 7);
    const archive = await uploadArchive(svc, {
      accountId: ACCOUNT,
      vaultName: VAULT,
      bytes: incoming(body),
      expectedTreeHash: treeHash(body).toString('hex'),
      description: '',
    });
    archiveId = archive.archiveId;
  });

  const anyValue = fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.nat(), { maxLength: 2 }),
    fc.object({ maxDepth: 1 }),
  );
  const rangeText = fc.oneof(
    fc.tuple(fc.nat({ max: 4 }), fc.nat({ max: 4 }), fc.integer({ min: -2, max: 2 })).map(([a, b, d]) => `${a * MiB}-${b * MiB + d}`),
    fc.tuple(fc.nat({ max: ARCHIVE_SIZE + 10 }), fc.nat({ max: ARCHIVE_SIZE + 10 })).map(([a, b]) => `${a}-${b}`),
    fc.constant(`0-${ARCHIVE_SIZE - 1}`),
    fc.constant(`${3 * MiB}-${ARCHIVE_SIZE - 1}`),
    fc.string({ maxLength: 20 }),
  );
  const params = fc.record(
    {
      Type: fc.oneof(fc.constantFrom('archive-retrieval', 'inventory-retrieval', 'select'), anyValue),
      ArchiveId: fc.oneof(fc.constant('ARCHIVE'), anyValue),
      RetrievalByteRange: fc.oneof(rangeText, anyValue),
      Tier: fc.oneof(fc.constantFrom('Expedited', 'Standard', 'Bulk'), anyValue),
      Description: fc.oneof(fc.string({ maxLength: 30 }), anyValue),
      SNSTopic: fc.oneof(fc.constant(`arn:aws:sns:us-east-1:${ACCOUNT}:topic`), anyValue),
      Format: fc.oneof(fc.constantFrom('JSON', 'CSV'), anyValue),
      InventoryRetrievalParameters: fc.oneof(
        fc.record(
          { StartDate: anyValue, EndDate: anyValue, Limit: fc.oneof(fc.constant('10'), anyValue), Marker: anyValue },
          { requiredKeys: [] },
        ),
        anyValue,
      ),
    },
    { requiredKeys: [] },
  );
  const body = fc.oneof(
    params.map((value) => JSON.stringify(value)),
    fc.json({ maxDepth: 3 }),
    fc.string({ maxLength: 50 }),
  );

  it('creates a job whose range lies in the archive and is aligned as Glacier requires, or throws a GlacierError', async () => {
    let retrievals = 0;
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const outcome = await onlyGlacierErrors(() =>
          initiateJob(svc, ACCOUNT, VAULT, parseJobRequest(Buffer.from(text.replace('"ARCHIVE"', JSON.stringify(archiveId))))),
        );
        if (!outcome.ok) return;
        const job = await svc.jobs.getJob(ACCOUNT, VAULT, outcome.value.jobId);
        expect(job).toBeDefined();
        if (job?.action !== 'ArchiveRetrieval') return;
        const { start, end } = job.range as { start: number; end: number };
        expect(0 <= start && start <= end && end < ARCHIVE_SIZE).toBe(true);
        expect(start % MiB).toBe(0);
        expect((end + 1) % MiB === 0 || end === ARCHIVE_SIZE - 1).toBe(true);
        retrievals += 1;
      }),
      { numRuns: 2000 },
    );
    // The generators reach a created archive-retrieval job, not only refusals.
    expect(retrievals).toBeGreaterThan(0);
  });
});
