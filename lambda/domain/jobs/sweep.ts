import { completeJob, isReady } from './completion';
import { publishLostNotifications } from './notifications';
import { recheckRestores } from './restores';
import type { Services } from '../services';

/** What the scheduled sweep does: completes due jobs, then publishes notifications that were lost. */
export async function sweepJobs(svc: Services): Promise<{ completed: number; notified: number }> {
  const completed = await completeDueJobs(svc);
  return { completed, notified: await publishLostNotifications(svc) };
}

/** The sweep (a timer locally, a schedule deployed): completes the jobs whose time has come, and re-checks restores S3 has not reported. */
export async function completeDueJobs(svc: Services): Promise<number> {
  let completed = 0;
  let cursor: string | undefined;
  do {
    const page = await svc.jobs.listDueJobs(svc.now().getTime(), cursor);
    for (const job of page.items) {
      const current = await svc.jobs.getJob(job.accountId, job.vaultName, job.jobId);
      if (current && isReady(svc, current)) {
        await completeJob(svc, current);
        completed += 1;
      } else if (current?.status === 'InProgress' && current.action === 'ArchiveRetrieval' && current.pendingRestores !== undefined) {
        if (await recheckRestores(svc, current)) completed += 1;
      }
    }
    cursor = page.cursor;
  } while (cursor);
  return completed;
}
