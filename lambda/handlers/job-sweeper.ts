// Scheduled Lambda (every minute): completes retrieval jobs whose time has come, and publishes
// job notifications that a crash kept from going out.
import { sweepJobs } from '../domain/jobs';
import { METRIC, count, instrumented, logger } from '../observability';
import { servicesFromEnvironment } from '../wiring';

export const handler = instrumented(async (): Promise<{ completed: number; notified: number }> => {
  const result = await sweepJobs(servicesFromEnvironment());
  count(METRIC.jobsCompleted, result.completed);
  if (result.completed > 0 || result.notified > 0) logger.info('jobs swept', result);
  return result;
});
