import { GlacierError } from '../domain/errors';
import type { HttpResponse } from './types';

export function jsonResponse(statusCode: number, value: unknown, headers: Record<string, string> = {}): HttpResponse & { body: Buffer } {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: Buffer.from(JSON.stringify(value)) };
}

export type LogLevel = 'info' | 'warn' | 'error';

/** A structured log line: a message and its details, at level 'error' unless told otherwise. */
export type Logger = (message: string, detail: Record<string, unknown>, level?: LogLevel) => void;

export const jsonLogger: Logger = (message, detail, level = 'error') => console.log(JSON.stringify({ level, message, ...detail }));

/** The one error mapper: anything thrown becomes Glacier's error shape. */
export function errorResponse(error: unknown, requestId: string, log: Logger): HttpResponse & { body: Buffer } {
  const glacierError =
    error instanceof GlacierError
      ? error
      : new GlacierError('ServiceUnavailableException', `The service is unavailable; try again. Request ID: ${requestId}`);
  if (!(error instanceof GlacierError) || glacierError.status >= 500) {
    log('request failed', { requestId, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
  return jsonResponse(
    glacierError.status,
    { code: glacierError.code, message: glacierError.message, type: glacierError.type },
    { 'x-amzn-errortype': glacierError.code, 'x-amzn-requestid': requestId },
  );
}
