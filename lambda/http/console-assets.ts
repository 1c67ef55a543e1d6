// The web console's static files: built by console/build.ts, served at /console/ by the same
// endpoint as the API. `console` can't be a Glacier account ID (12 digits or `-`), so no Glacier
// request takes this path.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { BufferedResponse, HttpRequest } from './types';

export const CONSOLE_PATH = '/console/';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json',
};

/** The console talks to the same origin only, runs no inline script, and can't be framed. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

/** Built file names carry their content's hash (`app-3F2A9C1B.js`): they never change, so they are cached for good. */
const HASHED = /-[A-Z0-9]{8}\.[a-z]+$/;

export function isConsolePath(path: string): boolean {
  return path === '/console' || path.startsWith(CONSOLE_PATH);
}

/** Where the built files are: beside a Lambda bundle, or in the repository's dist/ when run from source. */
function defaultAssetsDir(): string | undefined {
  return [join(__dirname, 'console'), join(__dirname, '..', '..', 'dist', 'console')].find((dir) => existsSync(join(dir, 'index.html')));
}

const loaded = new Map<string, Map<string, Buffer>>();

function assetsIn(dir: string): Map<string, Buffer> {
  let files = loaded.get(dir);
  if (!files) {
    files = new Map(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name))]));
    loaded.set(dir, files);
  }
  return files;
}

function text(statusCode: number, message: string, headers: Record<string, string> = {}): BufferedResponse {
  return {
    statusCode,
    headers: { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers },
    body: Buffer.from(message),
    operation: 'Console',
  };
}

/** Answers a request under /console: a file of the built console, or a plain-text error. No request here is signed. */
export function serveConsole(request: HttpRequest, assetsDir: string | null = defaultAssetsDir() ?? null): BufferedResponse {
  if (request.method !== 'GET' && request.method !== 'HEAD') return text(405, 'The console is read with GET.', { allow: 'GET, HEAD' });
  // Relative, so that it also holds under an API Gateway stage or a base path.
  if (request.path === '/console') return text(301, 'The console is at /console/.', { location: 'console/' });
  if (!assetsDir) return text(503, 'The console is not built: run `npm run build:console`.');
  const name = request.path.slice(CONSOLE_PATH.length) || 'index.html';
  const body = assetsIn(assetsDir).get(name);
  if (!body || name.includes('/')) return text(404, `No console file is named ${name}.`);
  return {
    statusCode: 200,
    headers: {
      ...SECURITY_HEADERS,
      'content-type': CONTENT_TYPES[extname(name)] ?? 'application/octet-stream',
      'content-length': String(body.length),
      'cache-control': HASHED.test(name) ? 'public, max-age=31536000, immutable' : 'no-cache',
    },
    body: request.method === 'HEAD' ? Buffer.alloc(0) : body,
    operation: 'Console',
  };
}
