// A signature binds exactly the resource served: the request-target is refused (400, before
// routing) when it holds `#`, dot segments (also percent-encoded) or empty segments, so that
// the path the signature covers and the path routed can never be two readings of one target.
import {
  AddTagsToVaultCommand,
  CreateVaultCommand,
  DescribeVaultCommand,
  GetVaultAccessPolicyCommand,
  GetVaultLockCommand,
  InitiateVaultLockCommand,
  SetVaultAccessPolicyCommand,
} from '@aws-sdk/client-glacier';
import fc from 'fast-check';
import { startTestServer, type TestServer } from '../support/local-server';
import { send, signedHeaders, type RawResponse } from '../support/signed-request';

let server: TestServer;

const policyFor = (vault: string, sid: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: sid, Effect: 'Deny', Principal: { AWS: 'arn:aws:iam::210987654321:root' }, Action: 'glacier:*', Resource: '*' }],
  }).replace('"*"}', `"arn:aws:glacier:us-east-1:123456789012:vaults/${vault}"}`);

beforeAll(async () => {
  server = await startTestServer();
  const client = server.client();
  for (const vaultName of ['prod', 'photos', 'scratch', 'locked']) {
    await client.send(new CreateVaultCommand({ accountId: '-', vaultName }));
  }
  for (const vaultName of ['prod', 'photos']) {
    await client.send(
      new SetVaultAccessPolicyCommand({ accountId: '-', vaultName, policy: { Policy: policyFor(vaultName, `original${vaultName}`) } }),
    );
    await client.send(new AddTagsToVaultCommand({ accountId: '-', vaultName, Tags: { owner: vaultName } }));
  }
  await client.send(new InitiateVaultLockCommand({ accountId: '-', vaultName: 'locked', policy: { Policy: policyFor('locked', 'lock') } }));
});
afterAll(() => server.destroy());

/**
 * Signs `method signedPath?query` as the AWS SDK does, then sends the request-target `sent`
 * byte for byte: a captured request replayed against another target.
 */
async function signedAs(method: string, signedPath: string, sent: string, body = Buffer.alloc(0), query: Record<string, string> = {}) {
  const headers = await signedHeaders(server.url, { method, path: signedPath, query, body });
  return send(new URL(server.url), method, sent, headers, body);
}

function expectRefusedTarget(response: RawResponse) {
  expect({ status: response.status, type: response.headers['x-amzn-errortype'] }).toEqual({
    status: 400,
    type: 'InvalidParameterValueException',
  });
  expect(response.json().message).toMatch(/request-target/);
}

async function policyOf(vaultName: string) {
  return (await server.client().send(new GetVaultAccessPolicyCommand({ accountId: '-', vaultName }))).policy?.Policy;
}

describe('replays of a signed request against another target', () => {
  it('a ListVaults signature does not read a vault access policy through `#` and dot segments', async () => {
    const response = await signedAs('GET', '/-/vaults', '/-/vaults/prod/access-policy#/../../../../-/vaults');
    expectRefusedTarget(response);
    expect(response.body.toString()).not.toContain('originalprod');
  });

  it('a DeleteVault signature for one vault does not delete another', async () => {
    expectRefusedTarget(await signedAs('DELETE', '/-/vaults/scratch', '/-/vaults/prod#/../scratch'));
    await expect(server.client().send(new DescribeVaultCommand({ accountId: '-', vaultName: 'prod' }))).resolves.toMatchObject({
      VaultName: 'prod',
    });
  });

  it('an AbortVaultLock-shaped replay does not remove another vault’s in-progress lock', async () => {
    expectRefusedTarget(await signedAs('DELETE', '/-/vaults/scratch', '/-/vaults/locked/lock-policy#/../../scratch'));
    const lock = await server.client().send(new GetVaultLockCommand({ accountId: '-', vaultName: 'locked' }));
    expect(lock.State).toBe('InProgress');
    await expect(server.client().send(new DescribeVaultCommand({ accountId: '-', vaultName: 'scratch' }))).resolves.toMatchObject({
      VaultName: 'scratch',
    });
  });

  it('a SetVaultAccessPolicy signature for one vault does not set another vault’s policy', async () => {
    const body = Buffer.from(JSON.stringify({ Policy: policyFor('photos', 'replayed') }));
    expectRefusedTarget(
      await signedAs('PUT', '/-/vaults/photos/access-policy', '/-/vaults/prod//../photos//%2e%2e/../access-policy', body),
    );
    expect(await policyOf('prod')).toContain('originalprod');
    expect(await policyOf('photos')).toContain('originalphotos');
  });

  it.each([
    '/-/vaults/prod/',
    '/-/vaults//prod',
    '//-/vaults/prod',
    '/-/vaults/./prod',
    '/-/vaults/prod/.',
    '/-/vaults/%2e/prod',
    '/-/vaults/photos/%2E%2e/prod',
    '/-/vaults/photos/.%2E/prod',
    '/-/vaults/prod#fragment',
  ])('refuses the request-target %s even when it is signed as sent', async (target) => {
    expectRefusedTarget(await signedAs('GET', target.split('#')[0], target));
  });
});

describe('fuzzed request-targets', () => {
  const pieces = [
    '-',
    'vaults',
    'prod',
    'photos',
    'tags',
    'access-policy',
    '.',
    '..',
    '%2e',
    '%2E%2e',
    '.%2e',
    '%2f',
    '%2F',
    '',
    '#',
    '?',
    'prod#',
    'a?b=c',
  ];

  /** What a client means by the target: its path and query, read the way the SDK signer reads them. */
  function signedResource(target: string): { path: string; query: Record<string, string> } {
    const hash = target.indexOf('?');
    const path = hash < 0 ? target : target.slice(0, hash);
    const query = hash < 0 ? {} : Object.fromEntries(new URLSearchParams(target.slice(hash + 1)));
    return { path, query };
  }

  /** The same resource as an SDK sends it: the signer's own normalisation of the path, no fragment. */
  function normalised(path: string): string {
    const segments: string[] = [];
    for (const segment of path.split('/')) {
      if (segment === '' || segment === '.') continue;
      if (segment === '..') segments.pop();
      else segments.push(segment);
    }
    return `/${segments.join('/')}`;
  }

  it('serves exactly the signed resource, or answers 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...pieces), { minLength: 1, maxLength: 7 }), async (segments) => {
        const target = `/${segments.join('/')}`;
        const { path, query } = signedResource(target);
        const sent = Object.keys(query).length ? `${path}?${new URLSearchParams(query)}` : path;
        const fuzzed = await signedAs('GET', path, sent, Buffer.alloc(0), query);
        if (fuzzed.status >= 400 && fuzzed.status < 500) return;
        expect(fuzzed.status).toBeLessThan(300);
        const clean = normalised(path);
        const reference = await signedAs(
          'GET',
          clean,
          Object.keys(query).length ? `${clean}?${new URLSearchParams(query)}` : clean,
          Buffer.alloc(0),
          query,
        );
        expect({ target, status: fuzzed.status, body: fuzzed.body.toString() }).toEqual({
          target,
          status: reference.status,
          body: reference.body.toString(),
        });
      }),
      { numRuns: 300 },
    );
  });
});
