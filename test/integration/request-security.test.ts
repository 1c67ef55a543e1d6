// A signature binds every header that changes a request's meaning; authentication comes from
// the headers before any body byte is read; a served request's answer goes out before the bytes
// that follow it on the connection are judged; and the checks the review found sound stay.
import { exchange as exchangeWith, requestHead, type Answer } from '../support/raw-http';
import { ACCOUNT } from '../support/accounts';
import { createHash, randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import { CreateVaultCommand, DeleteArchiveCommand, UploadArchiveCommand, UploadMultipartPartCommand } from '@aws-sdk/client-glacier';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { MiB, treeHash } from '../../lambda/domain/checksums';
import { startTestServer, ROOT_CREDENTIALS, type TestServer } from '../support/local-server';
import { send, signedHeaders, signedRequest, type RawRequest, type RawResponse } from '../support/signed-request';
import { expectGlacierError, expectStillServing, seedVault, storedState as storedStateOf, type SeededVault } from '../support/seeded-vault';

const VAULT = 'guarded';
const LIMIT = 8 * MiB;

let server: TestServer;
let seeded: SeededVault;
let jobId: string;
let uploadId: string;

beforeAll(async () => {
  server = await startTestServer({ COLDVAULT_MAX_BODY_BYTES: String(LIMIT), COLDVAULT_JOB_DELAY_SECONDS: '0' });
  seeded = await seedVault(server, VAULT, 2048);
  ({ jobId, uploadId } = seeded);
});
afterAll(() => server.destroy());

const storedState = () => storedStateOf(server, seeded);
const stillServing = () => expectStillServing(server);
const expectError = expectGlacierError;

/** Adds a header after the request was signed, as someone in the path could. */
const addedAfterSigning =
  (name: string, value: string): RawRequest['tamper'] =>
  (signed) => {
    signed.headers[name] = value;
  };

describe('headers that must be signed when sent', () => {
  const part = randomBytes(MiB);
  const partHash = treeHash(part).toString('hex');
  const archive = randomBytes(1000);
  const archiveHash = treeHash(archive).toString('hex');

  it.each<[string, string, RawRequest]>([
    [
      'x-amz-archive-description',
      'forged',
      { method: 'POST', path: `/-/vaults/${VAULT}/archives`, headers: { 'x-amz-sha256-tree-hash': archiveHash }, body: archive },
    ],
    ['x-amz-sha256-tree-hash', archiveHash, { method: 'POST', path: `/-/vaults/${VAULT}/archives`, body: archive }],
    [
      'content-range',
      `bytes 0-${MiB - 1}/*`,
      { method: 'PUT', path: `/-/vaults/${VAULT}/multipart-uploads/UPLOAD`, headers: { 'x-amz-sha256-tree-hash': partHash }, body: part },
    ],
    ['x-amz-part-size', String(MiB), { method: 'POST', path: `/-/vaults/${VAULT}/multipart-uploads` }],
    [
      'x-amz-archive-size',
      String(MiB),
      { method: 'POST', path: `/-/vaults/${VAULT}/multipart-uploads/UPLOAD`, headers: { 'x-amz-sha256-tree-hash': partHash } },
    ],
    ['range', 'bytes=0-1023', { method: 'GET', path: `/-/vaults/${VAULT}/jobs/JOB/output` }],
    ['content-type', 'application/json', { method: 'PUT', path: `/-/vaults/${VAULT}/access-policy`, body: Buffer.from('{"Policy":"{}"}') }],
    [
      'content-md5',
      'AAAAAAAAAAAAAAAAAAAAAA==',
      { method: 'POST', path: `/-/vaults/${VAULT}/archives`, headers: { 'x-amz-sha256-tree-hash': archiveHash }, body: archive },
    ],
    ['x-amz-anything', 'x', { method: 'GET', path: '/-/vaults' }],
  ])('refuses %s sent but not signed, naming it, and stores nothing', async (name, value, req) => {
    const path = req.path.replace('UPLOAD', uploadId).replace('JOB', jobId);
    const before = await storedState();
    const response = await signedRequest(server.url, { ...req, path, tamper: addedAfterSigning(name, value) });
    expectError(response, 403, 'InvalidSignatureException', new RegExp(`'${name}'`));
    expect(await storedState()).toEqual(before);
    await stillServing();
  });

  it('takes every one of them from the AWS SDK, which signs them', async () => {
    const client = server.client();
    const uploaded = await client.send(
      new UploadArchiveCommand({ accountId: '-', vaultName: VAULT, body: archive, archiveDescription: 'signed', checksum: archiveHash }),
    );
    expect(uploaded.checksum).toBe(archiveHash);
    const sent = await client.send(
      new UploadMultipartPartCommand({
        accountId: '-',
        vaultName: VAULT,
        uploadId,
        range: `bytes 0-${MiB - 1}/*`,
        body: part,
        checksum: partHash,
      }),
    );
    expect(sent.checksum).toBe(partHash);
  });
});

/** Writes bytes on a new connection to the server; collects the answers (see raw-http). */
const exchange = (bytes: Buffer, options?: Parameters<typeof exchangeWith>[2]) => exchangeWith(server.url, bytes, options);

/** A request's head, signed as the SDK signs it over `body` (which may never be sent). */
async function signedHead(
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer,
  secret: string = ROOT_CREDENTIALS.secretAccessKey,
) {
  const credentials = { accessKeyId: ROOT_CREDENTIALS.accessKeyId, secretAccessKey: secret };
  const signed = await signedHeaders(server.url, { method, path, headers, body, credentials });
  return requestHead(method, path, { ...signed, 'content-length': String(body.length) });
}

describe('authentication before the body', () => {
  const big = Buffer.alloc(64 * MiB);
  const bigHash = createHash('sha256').update(big).digest('hex');

  it('answers a wrongly signed upload from its headers alone, without waiting for its body', async () => {
    const head = await signedHead('POST', `/-/vaults/${VAULT}/archives`, { 'x-amz-sha256-tree-hash': bigHash }, big, 'not-the-secret');
    const before = await storedState();
    const { answers } = await exchange(head, { answers: 1 });
    expect(answers).toHaveLength(1);
    expectError(answers[0], 403, 'InvalidSignatureException', /signature we calculated does not match/);
    expect(await storedState()).toEqual(before);
  });

  it('reads no body for an unknown key, even one sent without x-amz-content-sha256 (whose hash must come from the body)', async () => {
    const head = (await signedHead('PUT', `/-/vaults/${VAULT}/access-policy`, {}, Buffer.alloc(1000)))
      .toString('latin1')
      .replace(ROOT_CREDENTIALS.accessKeyId, 'AKIDNOBODYHASTHISKEY')
      .replace(/x-amz-content-sha256: [0-9a-f]+\r\n/, '');
    const { answers } = await exchange(Buffer.from(head, 'latin1'), { answers: 1 });
    expect(answers).toHaveLength(1);
    expectError(answers[0], 403, 'UnrecognizedClientException');
  });

  it('checks what the headers alone show (here, the date) before it reads a body sent without x-amz-content-sha256', async () => {
    const head = (await signedHead('PUT', `/-/vaults/${VAULT}/access-policy`, {}, Buffer.alloc(1000)))
      .toString('latin1')
      .replace(/x-amz-content-sha256: [0-9a-f]+\r\n/, '')
      // The date of x-amz-date and of the credential scope, years ago: the body is never sent.
      .replace(/\b\d{8}(?=T\d{6}Z|\/)/g, '20200101');
    const { answers } = await exchange(Buffer.from(head, 'latin1'), { answers: 1, waitMs: 5_000 });
    expect(answers).toHaveLength(1);
    expectError(answers[0], 403, 'InvalidSignatureException', /Signature expired/);
  });

  it('holds bodies sent without x-amz-content-sha256 within one budget shared by all requests, and frees it when a body ends', async () => {
    const budgeted = await startTestServer({ COLDVAULT_UNSIGNED_PAYLOAD_BYTES: String(MiB) });
    const held = new Socket();
    try {
      await budgeted.client().send(new CreateVaultCommand({ accountId: '-', vaultName: VAULT }));
      // Each body alone is within the 1 MiB an unhashed body may have; two at once are over the budget.
      const body = Buffer.from(JSON.stringify({ Policy: 'x'.repeat(600_000) }));
      const policyPath = `/-/vaults/${VAULT}/access-policy`;
      const signed = async () =>
        requestHead('PUT', policyPath, {
          ...(await signedHeaders(budgeted.url, { method: 'PUT', path: policyPath, body, noContentHash: true })),
          'content-length': String(body.length),
        });
      const { hostname, port } = new URL(budgeted.url);
      await new Promise<void>((resolve) => held.connect(Number(port), hostname, resolve));
      held.on('error', () => undefined);
      held.write(Buffer.concat([await signed(), body.subarray(0, 1000)]));

      // The held body has taken its share once the server has read its head; until then another body may pass.
      let refused: Answer | undefined;
      for (const deadline = Date.now() + 10_000; !refused && Date.now() < deadline;) {
        const { answers } = await exchangeWith(budgeted.url, Buffer.concat([await signed(), body]), { answers: 1 });
        if (answers[0]?.status === 500) refused = answers[0];
        else await new Promise((r) => setTimeout(r, 50));
      }
      expect(refused).toBeDefined();
      expectError(refused as Answer, 500, 'ServiceUnavailableException', /Too many request bodies without x-amz-content-sha256/);

      held.destroy();
      await new Promise((r) => setTimeout(r, 200));
      const { answers } = await exchangeWith(budgeted.url, Buffer.concat([await signed(), body]), { answers: 1 });
      expect(answers).toHaveLength(1);
      expect(answers[0].status).not.toBe(500);
    } finally {
      held.destroy();
      await budgeted.destroy();
    }
  });

  it('refuses a Content-Length above the limit before reading the body', async () => {
    const head = await signedHead('POST', `/-/vaults/${VAULT}/archives`, { 'x-amz-sha256-tree-hash': bigHash }, big);
    const { answers } = await exchange(head, { answers: 1 });
    expect(answers).toHaveLength(1);
    expectError(answers[0], 400, 'InvalidParameterValueException', new RegExp(`exceeds this endpoint's limit of ${LIMIT} bytes`));
    await stillServing();
  });

  it('refuses a body sent with chunked transfer-encoding: a body carries Content-Length', async () => {
    const body = randomBytes(3000);
    const before = await storedState();
    const head = (
      await signedHead('POST', `/-/vaults/${VAULT}/archives`, { 'x-amz-sha256-tree-hash': treeHash(body).toString('hex') }, body)
    )
      .toString('latin1')
      .replace(/content-length: \d+\r\n/, 'transfer-encoding: chunked\r\n');
    const chunked = Buffer.concat([
      Buffer.from(head, 'latin1'),
      Buffer.from(`${body.length.toString(16)}\r\n`),
      body,
      Buffer.from('\r\n0\r\n\r\n'),
    ]);
    const { answers } = await exchange(chunked, { answers: 1 });
    expect(answers).toHaveLength(1);
    expectError(answers[0], 400, 'MissingParameterValueException', /Content-Length/);
    expect(await storedState()).toEqual(before);
    await stillServing();
  });
});

describe('the answer to a served request', () => {
  it('goes out before the bytes after it on the connection are judged: an UploadArchive followed by non-HTTP bytes', async () => {
    const body = randomBytes(5000);
    const head = await signedHead(
      'POST',
      `/-/vaults/${VAULT}/archives`,
      { 'x-amz-sha256-tree-hash': treeHash(body).toString('hex') },
      body,
    );
    const { answers, closed } = await exchange(Buffer.concat([head, body, Buffer.from('\x00\x01 not http at all\r\n\r\n', 'latin1')]));
    expect(closed).toBe(true);
    expect(answers.map((answer) => answer.status)).toEqual([201, 400]);
    const stored = answers[0].headers['x-amz-archive-id'];
    expect(answers[0].headers['x-amz-sha256-tree-hash']).toBe(treeHash(body).toString('hex'));
    // What was stored is what the client was told, so it can name it.
    expect((await server.services.metadata.listArchives(ACCOUNT, VAULT)).items.map((a) => a.archiveId)).toContain(stored);
    await server.client().send(new DeleteArchiveCommand({ accountId: '-', vaultName: VAULT, archiveId: stored }));
  });
});

describe('what held keeps holding', () => {
  const body = randomBytes(700);
  it.each(['UNSIGNED-PAYLOAD', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER'])(
    'refuses an upload whose x-amz-content-sha256 is %s, and stores nothing',
    async (claimed) => {
      const before = await storedState();
      const response: RawResponse = await signedRequest(server.url, {
        method: 'POST',
        path: `/-/vaults/${VAULT}/archives`,
        headers: { 'x-amz-sha256-tree-hash': treeHash(body).toString('hex'), 'x-amz-content-sha256': claimed },
        body,
      });
      expectError(response, 403, 'InvalidSignatureException', /x-amz-content-sha256/);
      expect(await storedState()).toEqual(before);
    },
  );

  it('refuses a presigned URL (the signature in the query string): only the Authorization header authenticates', async () => {
    const url = new URL(server.url);
    const signer = new SignatureV4({
      service: 'glacier',
      region: 'us-east-1',
      credentials: ROOT_CREDENTIALS,
      sha256: Hash.bind(null, 'sha256'),
    });
    const presigned = await signer.presign({
      method: 'PUT',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: '/-/vaults/presigned',
      query: {},
      headers: { host: url.host, 'x-amz-glacier-version': '2012-06-01' },
    });
    const query = new URLSearchParams(presigned.query as Record<string, string>).toString();
    const response = await send(url, 'PUT', `/-/vaults/presigned?${query}`, { 'x-amz-glacier-version': '2012-06-01' }, Buffer.alloc(0));
    expectError(response, 400, 'MissingAuthenticationTokenException');
    expect((await storedState()).vaults.map((vault) => vault.vaultName)).not.toContain('presigned');
  });
});
