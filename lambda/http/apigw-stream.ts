// The API behind API Gateway's response streaming: the answer goes out as it is read.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { invalidParameter } from '../domain/errors';
import type { Api } from './api';
import { answerEvent, type ApiGatewayEvent } from './apigw';
import { errorResponse, jsonLogger, type Logger } from './responses';
import type { HttpResponse } from './types';

/** Lambda streams at most 200 MB in one response (read as decimal megabytes: the stricter reading). */
export const LAMBDA_STREAM_MAX_BYTES = 200_000_000;

export interface StreamingOptions {
  /** The data plane's URL, if the deployment has one: answers too large to stream point there. */
  dataEndpoint?: string;
  maxBytes?: number;
  log?: Logger;
}

/** The handler to give `awslambda.streamifyResponse`: runs the API and writes its answer to the response stream. */
export function streamingApiHandler(api: () => Promise<Api>, options: StreamingOptions = {}) {
  const maxBytes = options.maxBytes ?? LAMBDA_STREAM_MAX_BYTES;
  const log = options.log ?? jsonLogger;
  return async (event: ApiGatewayEvent, responseStream: awslambda.ResponseStream): Promise<void> => {
    // An event that maps to no canonical request is answered as the buffered handler answers it, not left to fail the invocation.
    await respond(withinLimit(await answerEvent(api, event, log), maxBytes, options.dataEndpoint, log), responseStream);
  };
}

async function respond(response: HttpResponse, responseStream: awslambda.ResponseStream): Promise<void> {
  const out = awslambda.HttpResponseStream.from(responseStream, { statusCode: response.statusCode, headers: response.headers });
  const body = response.body as Buffer | Readable;
  // A failure mid-body destroys the stream: the caller gets fewer bytes than Content-Length, never a short answer taken as whole.
  await pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : body, out);
}

function withinLimit(response: HttpResponse, maxBytes: number, dataEndpoint: string | undefined, log: Logger): HttpResponse {
  const length = Number(response.headers['content-length'] ?? (Buffer.isBuffer(response.body) ? response.body.length : 0));
  if (response.statusCode >= 300 || length <= maxBytes) return response;
  const body = response.body as Buffer | Readable;
  if (!Buffer.isBuffer(body)) body.destroy();
  const elsewhere = dataEndpoint
    ? `, or all of it in one request from the data plane at ${dataEndpoint}`
    : ", or all of it in one request from a deployment's data plane (setting dataPlane)";
  const error = invalidParameter(
    `The requested output is ${length} bytes; this endpoint streams at most ${maxBytes} bytes per response. ` +
      `Download it in parts with the Range header (for example Range: bytes=0-${maxBytes - 1})${elsewhere}.`,
  );
  return { ...errorResponse(error, response.headers['x-amzn-requestid'] ?? '', log), operation: response.operation };
}
