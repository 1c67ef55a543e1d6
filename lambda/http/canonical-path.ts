import { invalidParameter } from '../domain/errors';

/**
 * The one reading of a request-target's path: it is what the signature is verified over and
 * what is routed. A target that other readers could resolve to another path (`#`, `.` or `..`
 * segments, also percent-encoded, empty segments) is refused rather than normalised.
 */
export function canonicalTarget(target: string): { path: string; rawQuery: string } {
  if (target.includes('#')) throw notCanonical(target, 'it holds "#"');
  const mark = target.indexOf('?');
  const path = mark < 0 ? target : target.slice(0, mark);
  return { path: canonicalPath(path, target, { consoleDirectory: true }), rawQuery: mark < 0 ? '' : target.slice(mark + 1) };
}

/**
 * Checks a path (percent-encoded as sent) and returns it unchanged; `/` alone is a path. With
 * `consoleDirectory` (a front's check of the path as sent), the web console's directory
 * `/console/`, also below a stage or base path, may end with "/": a browser resolves the
 * console's relative file names against it. The API checks its own path without it, after it
 * has served the console, so no operation is ever reached by a path ending with "/".
 */
export function canonicalPath(path: string, target = path, options: { consoleDirectory?: boolean } = {}): string {
  if (path.includes('#')) throw notCanonical(target, 'it holds "#"');
  if (!path.startsWith('/')) throw notCanonical(target, 'its path does not start with "/"');
  if (path === '/') return path;
  const segments = path.slice(1).split('/');
  if (options.consoleDirectory && segments.length >= 2 && segments.at(-1) === '' && segments.at(-2) === 'console') segments.pop();
  for (const segment of segments) {
    if (segment === '') throw notCanonical(target, 'it has an empty path segment ("//" or a trailing "/")');
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw notCanonical(target, `its segment "${segment}" is not valid percent-encoding`);
    }
    if (decoded === '.' || decoded === '..') throw notCanonical(target, `it has a "${segment}" segment`);
  }
  return path;
}

/** The path below the first `count` segments of a canonical path (an API Gateway stage or base path). */
export function belowPrefix(path: string, count: number): string {
  if (count <= 0) return path;
  const segments = path.split('/').slice(1);
  if (count >= segments.length) throw notCanonical(path, 'it has no path below its stage or base path');
  return `/${segments.slice(count).join('/')}`;
}

export function segmentCount(path: string): number {
  return path === '/' ? 0 : path.split('/').length - 1;
}

/** SigV4's canonical URI of a canonical path: each segment URI-encoded once more, nothing resolved. */
export function signingUri(path: string): string {
  return path
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}

function notCanonical(target: string, reason: string) {
  const shown = target.length > 200 ? `${target.slice(0, 200)}...` : target;
  return invalidParameter(
    `The request-target ${JSON.stringify(shown)} is refused: ${reason}. Send a path with no empty, "." or ".." segments (also percent-encoded) and no "#".`,
  );
}
