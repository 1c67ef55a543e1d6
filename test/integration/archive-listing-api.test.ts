// coldvault's live archive listing extension, over HTTP with real signatures.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CreateVaultCommand, DeleteArchiveCommand, type GlacierClient, UploadArchiveCommand } from '@aws-sdk/client-glacier';
import { runAdmin } from '../../lambda/admin/cli';
import { matchRoute } from '../../lambda/http/router';
import { EXTENSION_ROUTES, ROUTES } from '../../lambda/http/routes';
import { clientWithNewKey } from '../support/glacier';
import { startTestServer, type TestServer } from '../support/local-server';
import { send, signedRequest } from '../support/signed-request';

const A = '123456789012';
const LIST_PATH = `/${A}/coldvault/vaults/backups/archives`;
let server: TestServer;
let root: GlacierClient;

const policy = (statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const vaultArn = (name: string) => `arn:aws:glacier:us-east-1:${A}:vaults/${name}`;

async function userKey(name: string, statements: object[]) {
  await runAdmin(['users', 'create', name, '--account', A, '--policy', policy(statements), '--data-dir', server.dataDir]);
  return (await runAdmin(['keys', 'create', '--account', A, '--user', name, '--data-dir', server.dataDir])) as {
    accessKeyId: string;
    secretAccessKey: string;
  };
}

beforeAll(async () => {
  server = await startTestServer();
  root = server.client();
  await root.send(new CreateVaultCommand({ accountId: '-', vaultName: 'backups' }));
  for (const description of ['db/monday', 'photos/2024', 'db/tuesday']) {
    await root.send(
      new UploadArchiveCommand({ accountId: '-', vaultName: 'backups', body: Buffer.from(description), archiveDescription: description }),
    );
  }
  const { archiveId } = await root.send(
    new UploadArchiveCommand({ accountId: '-', vaultName: 'backups', body: Buffer.from('gone'), archiveDescription: 'db/gone' }),
  );
  await root.send(new DeleteArchiveCommand({ accountId: '-', vaultName: 'backups', archiveId }));
});
afterAll(() => server.destroy());

it('lists the live archives newest first, filtered by description prefix, with the live totals and storage class', async () => {
  const all = await signedRequest(server.url, { method: 'GET', path: LIST_PATH });
  expect(all.status).toBe(200);
  const body = all.json() as { ArchiveList: { ArchiveDescription: string; Size: number; SHA256TreeHash: string }[] } & Record<
    string,
    unknown
  >;
  expect(body.ArchiveList.map((a) => a.ArchiveDescription)).toEqual(['db/tuesday', 'photos/2024', 'db/monday']);
  expect(body).toMatchObject({
    VaultARN: vaultArn('backups'),
    StorageClass: 'GLACIER',
    RetrievalSeconds: { Expedited: 1, Standard: 3, Bulk: 5 },
    NumberOfArchives: 3,
    SizeInBytes: 'db/monday'.length + 'photos/2024'.length + 'db/tuesday'.length,
    Marker: null,
  });
  expect(body.ArchiveList[0].SHA256TreeHash).toMatch(/^[0-9a-f]{64}$/);

  const first = await signedRequest(server.url, { method: 'GET', path: LIST_PATH, query: { 'description-prefix': 'db/', limit: '1' } });
  const page1 = first.json() as { ArchiveList: { ArchiveDescription: string }[]; Marker: string };
  expect(page1.ArchiveList.map((a) => a.ArchiveDescription)).toEqual(['db/tuesday']);
  const second = await signedRequest(server.url, {
    method: 'GET',
    path: LIST_PATH,
    query: { 'description-prefix': 'db/', limit: '1', marker: page1.Marker },
  });
  expect((second.json() as { ArchiveList: { ArchiveDescription: string }[] }).ArchiveList.map((a) => a.ArchiveDescription)).toEqual([
    'db/monday',
  ]);
});

it('is refused without a signature', async () => {
  const response = await send(new URL(server.url), 'GET', LIST_PATH, { 'x-amz-glacier-version': '2012-06-01' }, Buffer.alloc(0));
  expect(response.json().code).toBe('MissingAuthenticationTokenException');
  expect(response.status).toBeGreaterThanOrEqual(400);
  expect(response.body.toString()).not.toContain('db/monday');
});

it("is refused for a key whose policy denies coldvault:ListArchives, and for one that only grants Glacier's actions", async () => {
  const denied = await userKey('no-listing', [
    { Effect: 'Allow', Action: '*', Resource: '*' },
    { Effect: 'Deny', Action: 'coldvault:ListArchives', Resource: vaultArn('backups') },
  ]);
  const refused = await signedRequest(server.url, { method: 'GET', path: LIST_PATH, credentials: denied });
  expect(refused.status).toBe(403);
  expect(refused.json()).toMatchObject({
    code: 'AccessDeniedException',
    message: `User: arn:aws:iam::${A}:user/no-listing is not authorized to perform: coldvault:ListArchives on resource: ${vaultArn('backups')}`,
  });

  const glacierOnly = await userKey('glacier-only', [{ Effect: 'Allow', Action: 'glacier:*', Resource: '*' }]);
  expect((await signedRequest(server.url, { method: 'GET', path: LIST_PATH, credentials: glacierOnly })).status).toBe(403);
});

it('is allowed for a key whose policy grants coldvault:ListArchives on the vault, and only that vault', async () => {
  const granted = await userKey('lister', [{ Effect: 'Allow', Action: 'coldvault:ListArchives', Resource: vaultArn('backups') }]);
  const allowed = await signedRequest(server.url, { method: 'GET', path: LIST_PATH, credentials: granted });
  expect(allowed.status).toBe(200);
  expect((allowed.json() as { NumberOfArchives: number }).NumberOfArchives).toBe(3);
  await root.send(new CreateVaultCommand({ accountId: '-', vaultName: 'other' }));
  const elsewhere = await signedRequest(server.url, { method: 'GET', path: `/${A}/coldvault/vaults/other/archives`, credentials: granted });
  expect(elsewhere.status).toBe(403);
  // A Glacier client with the same key still sees Glacier's rules only.
  const glacier = await clientWithNewKey(server, A, 'lister');
  await expect(
    glacier.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'backups', body: Buffer.from('x') })),
  ).rejects.toMatchObject({
    name: 'AccessDeniedException',
  });
});

it('refuses a bad limit and a vault that does not exist with Glacier errors', async () => {
  const badLimit = await signedRequest(server.url, { method: 'GET', path: LIST_PATH, query: { limit: '0' } });
  expect(badLimit.status).toBe(400);
  expect(badLimit.json().code).toBe('InvalidParameterValueException');
  const missing = await signedRequest(server.url, { method: 'GET', path: `/${A}/coldvault/vaults/nope/archives` });
  expect(missing.status).toBe(404);
  expect(missing.json().code).toBe('ResourceNotFoundException');
});

describe('the extension routes against the service model', () => {
  const MODEL_PATH = path.resolve(__dirname, '../fixtures/glacier-2012-06-01/service-2.json');
  const model = JSON.parse(readFileSync(MODEL_PATH, 'utf8')) as {
    operations: Record<string, { name: string; http: { method: string; requestUri: string } }>;
  };
  const modelOperations = Object.values(model.operations);
  const templateMatches = (template: string, concrete: string) => {
    const parts = template.split('?')[0].split('/');
    const segments = concrete.split('/');
    return parts.length === segments.length && parts.every((part, i) => part.startsWith('{') || part === segments[i]);
  };

  it.each(EXTENSION_ROUTES.map((route) => [route.operation, route] as const))(
    '%s is no Glacier operation and matches no Glacier path',
    (_, route) => {
      expect(modelOperations.map((operation) => operation.name)).not.toContain(route.operation);
      expect(ROUTES.map((r) => r.operation)).not.toContain(route.operation);
      expect(route.operation).toMatch(/^coldvault:/);
      // Any value in its parameters: no Glacier request URI in the model takes that path, with any method.
      for (const sample of ['sample', 'vaults', 'coldvault', '-']) {
        const concrete = route.path.replace(/\{\w+\}/g, sample);
        expect(modelOperations.filter((operation) => templateMatches(operation.http.requestUri, concrete)).map((o) => o.name)).toEqual([]);
        const routed = matchRoute(route.method, concrete, {});
        expect('match' in routed && routed.match.route.operation).toBe(route.operation);
      }
    },
  );

  it('no Glacier path from the model routes to an extension', () => {
    for (const operation of modelOperations) {
      const concrete = operation.http.requestUri.split('?')[0].replace(/\{\w+\}/g, 'coldvault');
      const query = Object.fromEntries(new URLSearchParams(operation.http.requestUri.split('?')[1] ?? ''));
      const routed = matchRoute(operation.http.method, concrete, query);
      expect({ name: operation.name, routed: 'match' in routed && routed.match.route.operation }).toEqual({
        name: operation.name,
        routed: operation.name,
      });
    }
  });
});
