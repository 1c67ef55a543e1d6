// Scheduled Lambda (every minute): completes retrieval jobs whose delay has passed.
import { readConfig } from '../config';
import { completeDueJobs } from '../domain/jobs';
import { METRIC, count, instrumented, logger } from '../observability';
import { createServices } from '../wiring';

export const handler = instrumented('job-sweeper', async (): Promise<{ completed: number }> => {
  const completed = await completeDueJobs(createServices(readConfig()));
  count(METRIC.jobsCompleted, completed);
  if (completed > 0) logger.info('jobs completed', { completed });
  return { completed };
});
