// API Gateway events: the path the client called (with a stage or a custom domain's base path)
// is the one canonical path, checked before anything else; what is routed is that same path
// below its stage or base path, never a second reading of the event.
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { createApi } from '../../lambda/http/api';
import { apiGatewayHandler, fromApiGatewayEvent } from '../../lambda/http/apigw';
import type { HttpRequest } from '../../lambda/http/types';
import { StaticKeyStore } from '../../lambda/store/keys';
import { memoryServices } from '../support/memory-stores';

function rest(calledPath: string, resourcePath: string): APIGatewayProxyEvent {
  return {
    resource: '/{proxy+}',
    path: resourcePath,
    httpMethod: 'GET',
    headers: { Host: 'glacier.example.com' },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: { path: calledPath, stage: 'prod' } as APIGatewayProxyEvent['requestContext'],
    body: null,
    isBase64Encoded: false,
  };
}

function http(rawPath: string, stage: string): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'ANY /{proxy+}',
    rawPath,
    rawQueryString: '',
    headers: { host: 'glacier.example.com' },
    requestContext: { stage, http: { method: 'GET' } } as APIGatewayProxyEventV2['requestContext'],
    isBase64Encoded: false,
  };
}

describe('the routed path is the signed path below its stage or base path', () => {
  it.each<[string, APIGatewayProxyEvent | APIGatewayProxyEventV2, string, string]>([
    ['REST API, execute-api stage', rest('/prod/-/vaults/v', '/-/vaults/v'), '/-/vaults/v', '/prod/-/vaults/v'],
    ['REST API, custom domain with a base path', rest('/glacier/v1/-/vaults/v', '/-/vaults/v'), '/-/vaults/v', '/glacier/v1/-/vaults/v'],
    ['REST API, custom domain with no base path', rest('/-/vaults/v', '/-/vaults/v'), '/-/vaults/v', '/-/vaults/v'],
    ['HTTP API, named stage', http('/prod/-/vaults/v', 'prod'), '/-/vaults/v', '/prod/-/vaults/v'],
    ['HTTP API, $default stage', http('/-/vaults/v', '$default'), '/-/vaults/v', '/-/vaults/v'],
  ])('%s', (_, event, path, signedPath) => {
    expect(fromApiGatewayEvent(event)).toMatchObject({ path, signedPath });
  });
});

describe('a path that is not canonical is refused before the API sees it', () => {
  const targets = [
    '/prod/-/vaults/v/access-policy#/../../-/vaults',
    '/prod/-/vaults/a/../b',
    '/prod/-/vaults/a/%2e%2e/b',
    '/prod/-/vaults/a/%2E%2e/b',
    '/prod/-/vaults/./v',
    '/prod/-/vaults//v',
    '/prod/-/vaults/v/',
  ];
  const events = targets.flatMap((target) => [
    [`REST ${target}`, rest(target, '/-/vaults/v')],
    [`HTTP API ${target}`, http(target, 'prod')],
  ]) as [string, APIGatewayProxyEvent | APIGatewayProxyEventV2][];

  it.each(events)('%s', async (_, event) => {
    const seen: HttpRequest[] = [];
    const handler = apiGatewayHandler(
      async () => async (request) => {
        seen.push(request);
        return { statusCode: 200, headers: {}, body: Buffer.alloc(0) };
      },
      () => undefined,
    );
    const result = await handler(event);
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body)).toMatchObject({
      code: 'InvalidParameterValueException',
      message: expect.stringMatching(/request-target/),
    });
    expect(seen).toEqual([]);
  });
});

describe("the console's directory is the one path that ends with /", () => {
  it.each<[string, APIGatewayProxyEvent | APIGatewayProxyEventV2]>([
    ['REST API, execute-api stage', rest('/prod/console/', '/console/')],
    ['HTTP API, named stage', http('/prod/console/', 'prod')],
    ['HTTP API, $default stage', http('/console/', '$default')],
  ])('%s', (_, event) => {
    expect(fromApiGatewayEvent(event).path).toBe('/console/');
  });

  it.each<[string, APIGatewayProxyEvent | APIGatewayProxyEventV2]>([
    ['REST API', rest('/prod/-/vaults/console/', '/-/vaults/console/')],
    ['HTTP API', http('/prod/-/vaults/console/', 'prod')],
  ])('%s: a vault named console with a trailing / reaches no operation', async (_, event) => {
    const handler = apiGatewayHandler(
      async () =>
        createApi({ svc: memoryServices(), keys: new StaticKeyStore({}), users: { getUser: async () => undefined }, log: () => undefined }),
      () => undefined,
    );
    const result = await handler(event);
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body)).toMatchObject({
      code: 'InvalidParameterValueException',
      message: expect.stringMatching(/request-target/),
    });
  });
});
