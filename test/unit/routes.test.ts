import { readFileSync } from 'node:fs';
import path from 'node:path';
import { matchRoute, type RouteResult } from '../../lambda/http/router';
import { ROUTES, routePaths } from '../../lambda/http/routes';

// The service model sits beside the repository, in the shared reference folder.
const MODEL_PATH = path.resolve(__dirname, '../fixtures/glacier-2012-06-01/service-2.json');

interface ModelOperation {
  name: string;
  http: { method: string; requestUri: string; responseCode?: number };
}

const model = JSON.parse(readFileSync(MODEL_PATH, 'utf8')) as { operations: Record<string, ModelOperation> };
const operations = Object.values(model.operations);

function expectedRoute(operation: ModelOperation) {
  const [pathPart, queryPart] = operation.http.requestUri.split('?');
  const query = queryPart ? Object.fromEntries(new URLSearchParams(queryPart)) : undefined;
  return { operation: operation.name, method: operation.http.method, path: pathPart, query, status: operation.http.responseCode ?? 200 };
}

const matched = (result: RouteResult) =>
  'match' in result ? { operation: result.match.route.operation, params: result.match.params } : result;

describe('ROUTES against the service model', () => {
  it('has all 33 operations, each exactly once', () => {
    expect(operations).toHaveLength(33);
    expect(ROUTES).toHaveLength(33);
    expect(ROUTES.map((route) => route.operation).sort()).toEqual(operations.map((operation) => operation.name).sort());
  });

  it.each(operations.map((operation) => [operation.name, operation] as const))(
    '%s has the model method, path, query and status',
    (name, operation) => {
      const route = ROUTES.find((candidate) => candidate.operation === name);
      expect(route).toEqual(expectedRoute(operation));
    },
  );

  it('routes every model operation, with its sample parameters, to itself', () => {
    for (const operation of operations) {
      const { method, path: template, query } = expectedRoute(operation);
      const samplePath = template.replace(/\{(\w+)\}/g, (_, name: string) => `sample-${name}`);
      const result = matchRoute(method, samplePath, query ?? {});
      expect({ name: operation.name, result: matched(result) }).toEqual({
        name: operation.name,
        result: {
          operation: operation.name,
          params: Object.fromEntries([...template.matchAll(/\{(\w+)\}/g)].map(([, p]) => [p, `sample-${p}`])),
        },
      });
    }
  });

  it('lists each path template once', () => {
    const paths = routePaths();
    expect(new Set(paths).size).toBe(paths.length);
    expect(paths.sort()).toEqual([...new Set(operations.map((operation) => expectedRoute(operation).path))].sort());
  });
});

describe('matchRoute', () => {
  const tags = '/123456789012/vaults/my-vault/tags';

  it('tells the tag operations apart by the operation query parameter', () => {
    expect(matched(matchRoute('POST', tags, { operation: 'add' }))).toEqual({
      operation: 'AddTagsToVault',
      params: { accountId: '123456789012', vaultName: 'my-vault' },
    });
    expect(matched(matchRoute('POST', tags, { operation: 'remove' }))).toMatchObject({ operation: 'RemoveTagsFromVault' });
    expect(matched(matchRoute('GET', tags, {}))).toMatchObject({ operation: 'ListTagsForVault' });
  });

  it('refuses a tag POST without a known operation', () => {
    const result = matchRoute('POST', tags, {});
    expect(result).toMatchObject({ error: 'wrong-method' });
    expect(('allowed' in result ? result.allowed : [])?.slice().sort()).toEqual(['GET', 'POST']);
    expect(matchRoute('POST', tags, { operation: 'replace' })).toMatchObject({ error: 'wrong-method' });
  });

  it('reports a wrong method with the methods the path allows', () => {
    const result = matchRoute('PATCH', '/123456789012/vaults/my-vault', {});
    expect(result).toMatchObject({ error: 'wrong-method' });
    expect(('allowed' in result ? result.allowed : [])?.slice().sort()).toEqual(['DELETE', 'GET', 'PUT']);
    const archive = matchRoute('GET', '/123456789012/vaults/my-vault/archives/some-id', {});
    expect(archive).toEqual({ error: 'wrong-method', allowed: ['DELETE'] });
  });

  it('reports an unknown path', () => {
    expect(matchRoute('GET', '/123456789012/buckets', {})).toEqual({ error: 'no-path' });
    expect(matchRoute('GET', '/123456789012/vaults/v/archives', {})).toMatchObject({ error: 'wrong-method', allowed: ['POST'] });
    expect(matchRoute('GET', '/123456789012/vaults/v/unknown', {})).toEqual({ error: 'no-path' });
    expect(matchRoute('GET', '/', {})).toEqual({ error: 'no-path' });
    expect(matchRoute('GET', '/123456789012/vaults/%E0%A4%A', {})).toEqual({ error: 'no-path' });
  });

  it('accepts the account ID "-" and a trailing slash', () => {
    expect(matched(matchRoute('GET', '/-/vaults/', {}))).toEqual({ operation: 'ListVaults', params: { accountId: '-' } });
  });

  it('decodes percent-encoded segments, %2F included, into the parameter', () => {
    expect(matched(matchRoute('GET', '/-/vaults/a%2Fb', {}))).toEqual({
      operation: 'DescribeVault',
      params: { accountId: '-', vaultName: 'a/b' },
    });
    expect(matched(matchRoute('DELETE', '/-/vaults/my%20vault/archives/x%2Dy', {}))).toEqual({
      operation: 'DeleteArchive',
      params: { accountId: '-', vaultName: 'my vault', archiveId: 'x-y' },
    });
  });
});
