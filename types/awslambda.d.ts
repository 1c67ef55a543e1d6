// The globals the Lambda Node.js runtime gives handlers that stream their response.
import type { Writable } from 'node:stream';
import type { Context } from 'aws-lambda';

declare global {
  namespace awslambda {
    /** The stream the runtime hands a streaming handler; what is written goes to the caller as it is written. */
    interface ResponseStream extends Writable {
      setContentType(contentType: string): void;
    }

    type StreamingHandler<E> = (event: E, responseStream: ResponseStream, context: Context) => Promise<void>;

    /** Marks a handler as streaming: the runtime then calls it with the response stream. */
    function streamifyResponse<E>(handler: StreamingHandler<E>): StreamingHandler<E>;

    interface HttpResponseMetadata {
      statusCode?: number;
      headers?: Record<string, string>;
      cookies?: string[];
    }

    namespace HttpResponseStream {
      /** Writes the status and headers ahead of the body (API Gateway and function URLs read them) and returns the stream for the body. */
      function from(stream: ResponseStream, metadata: HttpResponseMetadata): ResponseStream;
    }
  }
}

export {};
