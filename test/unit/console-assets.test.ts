import { execSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONSOLE_CSP, isConsolePath, serveConsole } from '../../lambda/http/console-assets';
import { matchRoute } from '../../lambda/http/router';
import { createApi } from '../../lambda/http/api';
import type { HttpRequest } from '../../lambda/http/types';
import { memoryServices } from '../support/memory-stores';
import { API_BUNDLING } from '../../lib/bundling';

const dir = mkdtempSync(join(tmpdir(), 'coldvault-console-assets-'));
writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
writeFileSync(join(dir, 'main-ABCDEF12.js'), 'console.log(1)');
writeFileSync(join(dir, 'style-ABCDEF12.css'), 'body{}');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const get = (path: string, method = 'GET') =>
  // The console never reads a body.
  serveConsole(
    { method, path, signedPath: path, query: {}, headers: {}, repeatedHeaders: [] } as unknown as Parameters<typeof serveConsole>[0],
    dir,
  );

it('serves the index without caching and hashed files for good, each with its content type and the CSP', () => {
  const index = get('/console/');
  expect(index.statusCode).toBe(200);
  expect(index.headers).toMatchObject({
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-cache',
    'content-security-policy': CONSOLE_CSP,
  });
  expect(String(index.body)).toContain('<title>t</title>');
  expect(get('/console/main-ABCDEF12.js').headers).toMatchObject({
    'content-type': 'text/javascript; charset=utf-8',
    'cache-control': 'public, max-age=31536000, immutable',
    'x-content-type-options': 'nosniff',
  });
  expect(get('/console/style-ABCDEF12.css').headers['content-type']).toBe('text/css; charset=utf-8');
});

it('the CSP allows no inline script, no other origin and no framing', () => {
  expect(CONSOLE_CSP).toContain("default-src 'none'");
  expect(CONSOLE_CSP).toContain("script-src 'self'");
  expect(CONSOLE_CSP).toContain("connect-src 'self'");
  expect(CONSOLE_CSP).toContain("frame-ancestors 'none'");
  expect(CONSOLE_CSP).not.toContain('unsafe');
});

it('redirects /console to /console/ relatively, so that it holds under a stage', () => {
  const response = get('/console');
  expect(response.statusCode).toBe(301);
  expect(response.headers.location).toBe('console/');
});

it('serves nothing but the built files: no other name, no path out of the folder, no other method', () => {
  expect(get('/console/nope.js').statusCode).toBe(404);
  expect(get('/console/../package.json').statusCode).toBe(404);
  expect(get('/console/%2e%2e/package.json').statusCode).toBe(404);
  expect(get('/console/main-ABCDEF12.js/x').statusCode).toBe(404);
  expect(get('/console/', 'POST').statusCode).toBe(405);
  const head = get('/console/main-ABCDEF12.js', 'HEAD');
  expect(head.statusCode).toBe(200);
  expect(head.body.length).toBe(0);
});

it('says how to build it when it is not built', () => {
  const response = serveConsole({ method: 'GET', path: '/console/' } as unknown as Parameters<typeof serveConsole>[0], null);
  expect(response.statusCode).toBe(503);
  expect(String(response.body)).toContain('npm run build:console');
});

it('takes only /console paths, before any Glacier route could', async () => {
  expect(isConsolePath('/console/')).toBe(true);
  expect(isConsolePath('/console')).toBe(true);
  expect(isConsolePath('/consoles/x')).toBe(false);
  expect(isConsolePath('/-/vaults/console')).toBe(false);
  // The router alone would take `/console/vaults` for ListVaults of an account named
  // `console` (which no account is): the API hands /console paths to the console first.
  expect('match' in matchRoute('GET', '/console/vaults', {})).toBe(true);
  const api = createApi({
    svc: memoryServices(),
    keys: { lookup: async () => undefined },
    users: { getUser: async () => undefined },
    log: () => undefined,
  });
  for (const path of ['/console/vaults', '/console/vaults/x']) {
    const response = await api({
      method: 'GET',
      path,
      signedPath: path,
      query: {},
      headers: {},
      repeatedHeaders: [],
    } as unknown as HttpRequest);
    expect(response.statusCode === 404 || response.statusCode === 503).toBe(true);
    expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(response.operation).toBe('Console');
  }
});

it('the api function is bundled with the console built beside it, where the served folder is looked for', () => {
  const out = mkdtempSync(join(tmpdir(), 'coldvault-api-bundle-'));
  try {
    const root = join(__dirname, '..', '..');
    const commands = API_BUNDLING.commandHooks?.afterBundling(root, out) ?? [];
    expect(commands.length).toBeGreaterThan(0);
    for (const command of commands) execSync(command, { stdio: 'pipe' });
    const built = readdirSync(join(out, 'console'));
    expect(built).toContain('index.html');
    expect(built.some((name) => /^main-[A-Z0-9]{8}\.js$/.test(name))).toBe(true);
    const index = serveConsole({ method: 'GET', path: '/console/' } as unknown as HttpRequest, join(out, 'console'));
    expect(index.statusCode).toBe(200);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
