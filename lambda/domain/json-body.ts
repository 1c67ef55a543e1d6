import { invalidParameter } from './errors';

/** A request body that must be a JSON object (an empty body reads as {}). */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.length ? body.toString('utf8') : '{}');
  } catch {
    throw invalidParameter('The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw invalidParameter('The request body must be a JSON object.');
  return parsed as Record<string, unknown>;
}
