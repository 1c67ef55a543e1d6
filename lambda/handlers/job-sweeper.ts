// Scheduled Lambda (every minute): completes retrieval jobs whose delay has passed.
import { completeDueJobs } from '../domain/jobs';
import { METRIC, count, instrumented, logger } from '../observability';
import { servicesFromEnvironment } from '../wiring';

export const handler = instrumented('job-sweeper', async (): Promise<{ completed: number }> => {
  const completed = await completeDueJobs(servicesFromEnvironment());
  count(METRIC.jobsCompleted, completed);
  if (completed > 0) logger.info('jobs completed', { completed });
  return { completed };
});
