// Logs, metrics and traces of the Lambda handlers, with Powertools for AWS Lambda. Local mode
// does not use this module: its server takes a plain logger.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';
import type { Api } from './http/api';
import type { Logger as LogFunction } from './http/responses';

export const SERVICE_NAME = 'coldvault';
export const METRICS_NAMESPACE = 'Coldvault';
/** Metrics carry the `service` dimension; the API's also come with `Operation` added. */
export const SERVICE_DIMENSION = 'service';
export const OPERATION_DIMENSION = 'Operation';
/** The Operation of requests that match no route. */
export const UNKNOWN_OPERATION = 'Unknown';

export const METRIC = {
  requests: 'Requests',
  clientErrors: 'ClientErrors',
  serverErrors: 'ServerErrors',
  latency: 'Latency',
  bytesIn: 'BytesIn',
  bytesOut: 'BytesOut',
  inventoryFailures: 'InventoryFailures',
  jobsCompleted: 'JobsCompleted',
  uploadsPurged: 'UploadsPurged',
} as const;

export const logger = new Logger({ serviceName: SERVICE_NAME });
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
export const tracer = new Tracer({ serviceName: SERVICE_NAME });

/** The `(message, detail)` logger that the API and the domain take, writing through Powertools. */
export const log: LogFunction = (message, detail, level = 'error') => logger[level](message, detail);

export function count(name: (typeof METRIC)[keyof typeof METRIC], value: number): void {
  metrics.addMetric(name, MetricUnit.Count, value);
}

/**
 * Wraps a Lambda handler: the invocation's context on every log line, a trace subsegment, and
 * the metrics recorded during the invocation flushed (EMF on stdout) when it ends.
 */
export function instrumented<E, R>(name: string, handler: (event: E) => Promise<R>): (event: E, context?: Context) => Promise<R> {
  return async (event, context) => {
    if (context) logger.addContext(context);
    try {
      return await traced(name, () => handler(event));
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  };
}

async function traced<R>(name: string, run: () => Promise<R>): Promise<R> {
  if (!tracer.isTracingEnabled()) return run();
  return (await tracer.provider.captureAsyncFunc(`## ${name}`, async (subsegment) => {
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
    try {
      return await run();
    } catch (error) {
      tracer.addErrorAsMetadata(error as Error);
      throw error;
    } finally {
      subsegment?.close();
    }
  })) as R;
}

/**
 * The API with one log line and one set of metrics per request. Metrics go out twice: per
 * operation, and for the whole service (which alarms and percentiles need).
 */
export function observedApi(api: Api): Api {
  return async (request) => {
    const started = performance.now();
    const response = await api(request);
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    const operation = response.operation ?? UNKNOWN_OPERATION;
    const status = response.statusCode;

    metrics.addDimension(OPERATION_DIMENSION, operation);
    metrics.addDimensions({});
    count(METRIC.requests, 1);
    count(METRIC.clientErrors, status >= 400 && status < 500 ? 1 : 0);
    count(METRIC.serverErrors, status >= 500 ? 1 : 0);
    metrics.addMetric(METRIC.latency, MetricUnit.Milliseconds, latencyMs);
    metrics.addMetric(METRIC.bytesIn, MetricUnit.Bytes, request.body.length);
    metrics.addMetric(
      METRIC.bytesOut,
      MetricUnit.Bytes,
      Buffer.isBuffer(response.body) ? response.body.length : Number(response.headers['content-length'] ?? 0),
    );

    logger.info('request', { requestId: response.headers['x-amzn-requestid'], operation, status, latencyMs });
    return response;
  };
}
