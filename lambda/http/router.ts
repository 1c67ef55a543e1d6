import { ALL_ROUTES, type TableRoute } from './routes';

export interface RouteMatch {
  route: TableRoute;
  params: Record<string, string>;
}

export type RouteResult = { match: RouteMatch } | { error: 'no-path' | 'wrong-method'; allowed?: string[] };

function splitPath(path: string): string[] | undefined {
  const segments = path.split('/').slice(1);
  if (segments.length > 0 && segments[segments.length - 1] === '') segments.pop();
  try {
    return segments.map((segment) => decodeURIComponent(segment));
  } catch {
    return undefined;
  }
}

function matchPath(template: string, segments: string[]): Record<string, string> | undefined {
  const parts = template.split('/').slice(1);
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i += 1) {
    const part = parts[i];
    if (part.startsWith('{')) params[part.slice(1, -1)] = segments[i];
    else if (part !== segments[i]) return undefined;
  }
  return params;
}

/** Finds the operation for a method, a path (percent-encoded, as sent) and query parameters. */
export function matchRoute(method: string, path: string, query: Record<string, string>): RouteResult {
  const segments = splitPath(path);
  if (!segments) return { error: 'no-path' };
  const onPath = ALL_ROUTES.map((route) => ({ route, params: matchPath(route.path, segments) })).filter(
    (candidate): candidate is RouteMatch => candidate.params !== undefined,
  );
  if (onPath.length === 0) return { error: 'no-path' };
  const found = onPath.find(
    ({ route }) => route.method === method && Object.entries(route.query ?? {}).every(([name, value]) => query[name] === value),
  );
  if (!found) return { error: 'wrong-method', allowed: [...new Set(onPath.map(({ route }) => route.method))] };
  return { match: found };
}
