// Lambda entry point for GetJobOutput behind API Gateway's response streaming (see lib/api.ts); same request path as api.ts.
import { streamingApiHandler } from '../http/apigw-stream';
import { log, logger, metrics } from '../observability';
import { functionApi, functionConfig } from '../function-api';

let serving: ReturnType<typeof streamingApiHandler> | undefined;
/** Built on first use: the environment is read when an invocation comes, not when the module loads. */
const serve: ReturnType<typeof streamingApiHandler> = (event, responseStream) => {
  serving ??= streamingApiHandler(functionApi, { dataEndpoint: functionConfig().dataEndpoint, log });
  return serving(event, responseStream);
};

export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  logger.addContext(context);
  try {
    await serve(event as Parameters<typeof serve>[0], responseStream);
  } finally {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
});
