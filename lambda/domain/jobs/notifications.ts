import { JOB_EVENTS } from './common';
import { describeJob } from './describe';
import type { Services } from '../services';
import type { JobRecord, VaultRecord } from '../ports';

/** Who hears of the job's completion: its own topic, and the vault's if it asks for this event. */
export function setNotifyTopics(job: JobRecord, vault: VaultRecord | undefined): void {
  const topics = new Set<string>();
  if (job.snsTopic) topics.add(job.snsTopic);
  if (vault?.notifications?.events.includes(JOB_EVENTS[job.action])) topics.add(vault.notifications.snsTopic);
  if (topics.size > 0) job.notifyTopics = [...topics];
}

/**
 * Publishes to the job's topics and marks it notified. A delivery that fails for now leaves the
 * job unmarked, for the sweep to publish again: it never fails the request that finished the job.
 */
export async function publishNotifications(svc: Services, job: JobRecord): Promise<boolean> {
  if (!job.notifyTopics?.length) return false;
  const message = JSON.stringify(describeJob(svc, job));
  const event = JOB_EVENTS[job.action];
  try {
    for (const topic of job.notifyTopics) await svc.notifier.publish(topic, `Notification from Amazon Glacier: ${event}`, message);
  } catch {
    return false;
  }
  await svc.jobs.markNotified(job);
  return true;
}

/**
 * A job finished this long ago whose notifications are not marked published was interrupted
 * between finishing and publishing (a crash, SNS failing for now): the sweep publishes them. Like SNS
 * itself this delivers at least once: a crash after publishing and before marking repeats it.
 */
const NOTIFY_GRACE_MS = 5 * 60_000;

export async function publishLostNotifications(svc: Services): Promise<number> {
  let published = 0;
  let cursor: string | undefined;
  do {
    const page = await svc.jobs.listUnnotifiedJobs(svc.now().getTime() - NOTIFY_GRACE_MS, cursor);
    for (const job of page.items) if (await publishNotifications(svc, job)) published += 1;
    cursor = page.cursor;
  } while (cursor);
  return published;
}
