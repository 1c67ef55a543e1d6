import type { Readable } from 'node:stream';
import { invalidParameter, missingHeader } from '../domain/errors';
import { isSha256Hex } from '../domain/checksums';
import type { IncomingBytes } from '../domain/staging';
import type { Services } from '../domain/services';
import type { AnyOperationName, ParamsOf, Route } from '../http/routes';
import type { HttpRequest } from '../http/types';

/** What an operation reads from its request. */
export interface RequestContext {
  request: HttpRequest;
}

export interface OpContext<Name extends AnyOperationName> extends RequestContext {
  svc: Services;
  route: Route;
  /** The parameters of the operation's path template; accountId is already the caller's real account ID. */
  params: ParamsOf<Name>;
  accountId: string;
}

export interface OpResult {
  status?: number;
  headers?: Record<string, string>;
  json?: unknown;
  /** A raw body (job output), streamed when a Readable; its content-type and content-length go in `headers`. */
  body?: Buffer | Readable;
}

export type Operation<Name extends AnyOperationName> = (ctx: OpContext<Name>) => Promise<OpResult | void>;

/** Every routed operation's implementation, each reading only the parameters of its own route. */
export type OperationTable = { readonly [Name in AnyOperationName]: Operation<Name> };

export function requireHeader(ctx: RequestContext, name: string): string {
  const value = ctx.request.headers[name];
  if (value === undefined || value === '') throw missingHeader(name);
  return value;
}

/** A list operation's `limit`: a whole number from 1 to `max`, `fallback` when absent. */
export function limitParam(ctx: RequestContext, fallback: number, max = 1000): number {
  return limitOf(ctx.request.query.limit, fallback, max);
}

export function limitOf(raw: string | undefined, fallback: number, max = 1000): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > max) {
    throw invalidParameter(`Invalid limit: ${raw}. The limit must be a whole number from 1 to ${max}.`);
  }
  return value;
}

/**
 * The request's body as upload bytes for the domain: streamed, with its size and signed payload hash.
 * Glacier requires x-amz-content-sha256 on uploads (only JSON operations may leave it to the signature).
 */
export function incomingBytes(ctx: RequestContext): IncomingBytes {
  requireHeader(ctx, 'x-amz-content-sha256');
  const { body } = ctx.request;
  const stream = body.stream();
  // A body the operation refuses before reading it can still fail at its end (its hash is
  // checked there): that failure is no longer this request's answer, and must not go unhandled.
  stream.on('error', () => undefined);
  return { body: stream, size: body.length, sha256: Buffer.from(body.sha256, 'hex') };
}

/** The x-amz-sha256-tree-hash header, required and in hex. */
export function treeHashHeader(ctx: RequestContext): string {
  return parseTreeHash(ctx.request.headers['x-amz-sha256-tree-hash']);
}

export function parseTreeHash(value: string | undefined): string {
  if (value === undefined || value === '') throw missingHeader('x-amz-sha256-tree-hash');
  if (!isSha256Hex(value)) throw invalidParameter(`Invalid x-amz-sha256-tree-hash: ${value}`);
  return value;
}
