// Runs the api Lambda as deployed: bundled with the stack's esbuild settings, loaded in a
// fresh Node process with only the Lambda's environment, fed API Gateway REST (v1) events.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { build } from 'esbuild';
import { startEmbeddedStores, type EmbeddedStores } from '../../lambda/local/embedded-stores';
import { LAMBDA_ESBUILD } from '../../lib/bundling';
import { invokeBundled, lambdaEnvironment, runBundled, writeRunner } from '../support/bundled-lambda';
import { createTable } from '../support/embedded';
import { signedRestEvent } from '../support/api-gateway-event';
import { ACCOUNT } from '../support/accounts';

const REGION = 'us-east-1';
const STAGE = 'dev';
const HOST = 'a1b2c3d4e5.execute-api.us-east-1.amazonaws.com';
const TABLE = 'coldvault-bundle';
const BUCKET = 'coldvault-bundle-archives';
const ROOT = { accessKeyId: 'AKIDCOLDVAULTBUNDLE1', secretAccessKey: 'bundle-test-secret-access-key-0123456789' };

let dir: string;
let stores: EmbeddedStores;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'coldvault-bundle-'));
  await build({
    ...LAMBDA_ESBUILD,
    entryPoints: [join(__dirname, '..', '..', 'lambda', 'handlers', 'api.ts')],
    outfile: join(dir, 'bundle', 'index.js'),
    logLevel: 'silent',
  });
  writeRunner(join(dir, 'bundle'));
  stores = await startEmbeddedStores(join(dir, 'data'), BUCKET);
  await createTable(stores, TABLE, REGION);
});

afterAll(async () => {
  await stores?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The Lambda's environment and nothing else. */
const lambdaEnv = () => ({
  NODE_OPTIONS: '--enable-source-maps',
  ...lambdaEnvironment(stores, { account: ACCOUNT, region: REGION, table: TABLE, bucket: BUCKET, root: ROOT }),
});

/** Runs the bundled handler on one event in a new Node process. */
async function invoke(event: unknown): Promise<APIGatewayProxyResult> {
  return (await invokeBundled(join(dir, 'bundle'), 'index.js', lambdaEnv(), event)) as APIGatewayProxyResult;
}

/** A REST API (v1) proxy event for a request signed, as a client would, for the stage URL of an execute-api domain. */
const signedEvent = (method: string, path: string, options: { secretAccessKey?: string } = {}) =>
  signedRestEvent(method, path, {
    host: HOST,
    region: REGION,
    stage: STAGE,
    credentials: { accessKeyId: ROOT.accessKeyId, secretAccessKey: options.secretAccessKey ?? ROOT.secretAccessKey },
  });

describe('bundled api Lambda', () => {
  it('bundles the AWS SDK: it requires only Node built-ins (and the optional SigV4a signer, which the SDK loads only if present)', () => {
    const code = readFileSync(join(dir, 'bundle', 'index.js'), 'utf8');
    const required = new Set([...code.matchAll(/require\("([^"]+)"\)/g)].map((match) => match[1]));
    expect(required.size).toBeGreaterThan(0);
    const builtIn = (name: string) => builtinModules.includes(name.replace(/^node:/, ''));
    expect([...required].filter((name) => !builtIn(name) && name !== '@aws-sdk/signature-v4-crt')).toEqual([]);
    expect(existsSync(join(dir, 'bundle', 'index.js.map'))).toBe(true);
  });

  it('logs stack traces that name the TypeScript source, from a source map without the sources in it', async () => {
    const map = JSON.parse(readFileSync(join(dir, 'bundle', 'index.js.map'), 'utf8')) as { sources: string[]; sourcesContent?: unknown };
    expect(map.sourcesContent).toBeUndefined();
    expect(map.sources.some((source) => source.endsWith('lambda/http/apigw.ts'))).toBe(true);
    // Not an API Gateway event at all: the handler fails inside the event mapping, logs why and answers 500.
    const { result, output } = await runBundled(join(dir, 'bundle'), 'index.js', lambdaEnv(), null);
    expect((result as APIGatewayProxyResult).statusCode).toBe(500);
    expect(output).toMatch(/TypeError: [^\n]*\\n +at \w+ \([^)]*lambda\/http\/apigw\.ts:\d+:\d+\)/);
  });

  it('creates a vault from a signed REST API event and lists it', async () => {
    const created = await invoke(await signedEvent('PUT', '/-/vaults/bundled'));
    expect({ status: created.statusCode, body: created.body }).toEqual({ status: 201, body: '' });
    expect(created.headers?.location).toBe(`/${ACCOUNT}/vaults/bundled`);

    const listed = await invoke(await signedEvent('GET', '/-/vaults'));
    expect(listed.statusCode).toBe(200);
    const { VaultList } = JSON.parse(listed.body) as { VaultList: { VaultName: string; VaultARN: string }[] };
    expect(VaultList.map((vault) => [vault.VaultName, vault.VaultARN])).toEqual([
      ['bundled', `arn:aws:glacier:${REGION}:${ACCOUNT}:vaults/bundled`],
    ]);
  });

  it('answers a request signed with the wrong secret with 403 InvalidSignatureException', async () => {
    const result = await invoke(
      await signedEvent('PUT', '/-/vaults/forged', { secretAccessKey: 'not-the-secret-access-key-of-the-root-key' }),
    );
    expect(result.statusCode).toBe(403);
    expect(result.headers?.['x-amzn-errortype']).toBe('InvalidSignatureException');
    expect(JSON.parse(result.body)).toMatchObject({ code: 'InvalidSignatureException', type: 'Client' });
  });

  it('checks the signature against the path the client called, stage included', async () => {
    const event = await signedEvent('PUT', '/-/vaults/stageless');
    const stageless = { ...event, requestContext: { ...event.requestContext, path: event.path } };
    const result = await invoke(stageless);
    expect(result.statusCode).toBe(403);
    expect(result.headers?.['x-amzn-errortype']).toBe('InvalidSignatureException');
  });
});
