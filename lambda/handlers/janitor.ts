// Scheduled Lambda: removes idle multipart uploads and runs the deferred deletions that are due.
import { runJanitor } from '../domain/janitor';
import { METRIC, count, instrumented, logger } from '../observability';
import { servicesFromEnvironment } from '../wiring';

export const handler = instrumented(async (): Promise<{ uploads: number; purges: number }> => {
  const done = await runJanitor(servicesFromEnvironment());
  count(METRIC.uploadsPurged, done.uploads);
  logger.info('janitor finished', done);
  return done;
});
