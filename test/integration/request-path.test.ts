import { randomBytes } from 'node:crypto';
import { CreateVaultCommand, GlacierServiceException, ListVaultsCommand } from '@aws-sdk/client-glacier';
import { treeHash } from '../../lambda/domain/checksums';
import { startTestServer, ROOT_CREDENTIALS, type TestServer } from '../support/local-server';
import { signedRequest, type RawResponse } from '../support/signed-request';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ COLDVAULT_MAX_BODY_BYTES: String(1024 * 1024) });
  await server.client().send(new CreateVaultCommand({ accountId: '-', vaultName: 'v' }));
});
afterAll(() => server.destroy());

function expectGlacierError(response: RawResponse, status: number, code: string, message?: RegExp | string) {
  expect(response.status).toBe(status);
  expect(response.headers['x-amzn-errortype']).toBe(code);
  expect(response.headers['x-amzn-requestid']).toMatch(/^[\w-]{20,}$/);
  expect(response.headers['content-type']).toBe('application/json');
  const body = response.json();
  expect(body).toEqual({ code, message: expect.any(String), type: status >= 500 ? 'Server' : 'Client' });
  if (typeof message === 'string') expect(body.message).toBe(message);
  else if (message) expect(body.message).toMatch(message);
}

const uploadHeaders = (body: Buffer) => ({ 'x-amz-sha256-tree-hash': treeHash(body).toString('hex') });

async function stillServing() {
  const out = await server.client().send(new ListVaultsCommand({ accountId: '-' }));
  expect(out.$metadata.httpStatusCode).toBe(200);
}

describe('SigV4', () => {
  it('accepts a correctly signed request', async () => {
    const response = await signedRequest(server.url, { method: 'GET', path: '/-/vaults' });
    expect(response.status).toBe(200);
    expect(response.headers['x-amzn-requestid']).toBeDefined();
  });

  it('refuses a wrong secret with InvalidSignatureException', async () => {
    const client = server.client({ credentials: { ...ROOT_CREDENTIALS, secretAccessKey: 'not-the-secret' } });
    const error = (await client.send(new ListVaultsCommand({ accountId: '-' })).catch((e) => e)) as GlacierServiceException;
    expect(error.name).toBe('InvalidSignatureException');
    expect(error.$metadata.httpStatusCode).toBe(403);
  });

  it('refuses an unknown access key with UnrecognizedClientException', async () => {
    const response = await signedRequest(server.url, {
      method: 'GET',
      path: '/-/vaults',
      credentials: { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: 'x' },
    });
    expectGlacierError(response, 403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
  });

  it('refuses a date more than 15 minutes old, and one 15 minutes ahead', async () => {
    const stale = await signedRequest(server.url, { method: 'GET', path: '/-/vaults', signingDate: new Date(Date.now() - 16 * 60_000) });
    expectGlacierError(stale, 403, 'InvalidSignatureException', /^Signature expired/);
    const future = await signedRequest(server.url, { method: 'GET', path: '/-/vaults', signingDate: new Date(Date.now() + 16 * 60_000) });
    expectGlacierError(future, 403, 'InvalidSignatureException', /^Signature not yet current/);
    const skewed = await signedRequest(server.url, { method: 'GET', path: '/-/vaults', signingDate: new Date(Date.now() - 14 * 60_000) });
    expect(skewed.status).toBe(200);
  });

  it('refuses a body changed after signing', async () => {
    const body = randomBytes(1000);
    const response = await signedRequest(server.url, {
      method: 'POST',
      path: '/-/vaults/v/archives',
      headers: uploadHeaders(body),
      body,
      tamper: (signed) => {
        signed.body = Buffer.from(body);
        signed.body[0] ^= 0xff;
      },
    });
    expectGlacierError(response, 403, 'InvalidSignatureException', /x-amz-content-sha256/);
  });

  it('refuses a body changed after signing when no payload hash header was sent', async () => {
    const response = await signedRequest(server.url, {
      method: 'PUT',
      path: '/-/vaults/tampered',
      body: Buffer.from('{}'),
      noContentHash: true,
      tamper: (signed) => {
        signed.body = Buffer.from('{"x":1}');
      },
    });
    expectGlacierError(response, 403, 'InvalidSignatureException', /does not match the signature you provided/);
  });

  it('refuses a request signed for another service or region', async () => {
    const s3 = await signedRequest(server.url, { method: 'GET', path: '/-/vaults', service: 's3' });
    expectGlacierError(s3, 403, 'InvalidSignatureException', /correct service: 'glacier'/);
    const region = await signedRequest(server.url, { method: 'GET', path: '/-/vaults', region: 'eu-west-1' });
    expectGlacierError(region, 403, 'InvalidSignatureException', /valid region/);
  });

  it('refuses an unsigned request and a header changed after signing', async () => {
    const unsigned = await signedRequest(server.url, {
      method: 'GET',
      path: '/-/vaults',
      tamper: (signed) => delete signed.headers.authorization,
    });
    expectGlacierError(unsigned, 400, 'MissingAuthenticationTokenException');
    const changed = await signedRequest(server.url, {
      method: 'GET',
      path: '/-/vaults',
      tamper: (signed) => {
        signed.headers['x-amz-glacier-version'] = '2012-06-02';
      },
    });
    expectGlacierError(changed, 403, 'InvalidSignatureException');
  });
});

describe('request checks', () => {
  it('requires x-amz-glacier-version', async () => {
    const response = await signedRequest(server.url, { method: 'GET', path: '/-/vaults', noVersion: true });
    expectGlacierError(response, 400, 'MissingParameterValueException', 'Required parameter missing: API version');
  });

  it('requires x-amz-sha256-tree-hash on UploadArchive', async () => {
    const response = await signedRequest(server.url, { method: 'POST', path: '/-/vaults/v/archives', body: randomBytes(10) });
    expectGlacierError(response, 400, 'MissingParameterValueException', 'Required parameter missing: x-amz-sha256-tree-hash');
  });

  it('refuses an empty archive', async () => {
    const body = Buffer.alloc(0);
    const response = await signedRequest(server.url, { method: 'POST', path: '/-/vaults/v/archives', headers: uploadHeaders(body), body });
    expectGlacierError(response, 400, 'InvalidParameterValueException', 'Invalid Content-Length: 0');
  });

  it('answers an unknown path or method with UnknownOperationException', async () => {
    expectGlacierError(await signedRequest(server.url, { method: 'GET', path: '/-/nothing-here' }), 400, 'UnknownOperationException');
    expectGlacierError(
      await signedRequest(server.url, { method: 'POST', path: '/-/vaults/v' }),
      400,
      'UnknownOperationException',
      /PUT, GET, DELETE/,
    );
  });

  it('refuses a body over the endpoint limit and keeps serving', async () => {
    const body = randomBytes(1024 * 1024 + 1);
    const response = await signedRequest(server.url, { method: 'POST', path: '/-/vaults/v/archives', headers: uploadHeaders(body), body });
    expectGlacierError(response, 400, 'InvalidParameterValueException', /exceeds this endpoint's limit of 1048576 bytes/);
    await stillServing();
  });

  it('refuses repeated significant headers', async () => {
    const response = await signedRequest(server.url, {
      method: 'GET',
      path: '/-/vaults',
      tamper: (signed) => {
        signed.headers['x-amz-glacier-version'] = ['2012-06-01', '2012-06-01'] as unknown as string;
      },
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(['InvalidParameterValueException', 'InvalidSignatureException']).toContain(response.headers['x-amzn-errortype']);
    await stillServing();
  });
});
