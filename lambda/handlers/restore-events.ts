// S3 event notification (s3:ObjectRestore:Completed) -> the jobs waiting for that object.
import type { S3Event } from 'aws-lambda';
import { restoreCompleted } from '../domain/jobs';
import type { Services } from '../domain/services';
import { instrumented, logger } from '../observability';
import { servicesFromEnvironment } from '../wiring';

/** S3 event keys are URL-encoded, with '+' for a space. */
export function objectKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}

export async function handleRestoreEvent(svc: Services, event: S3Event): Promise<{ released: number }> {
  let released = 0;
  for (const record of event.Records ?? []) {
    if (!record.eventName?.startsWith('ObjectRestore:Completed')) continue;
    released += await restoreCompleted(svc, objectKey(record.s3.object.key));
  }
  return { released };
}

export const handler = instrumented(async (event: S3Event): Promise<{ released: number }> => {
  const done = await handleRestoreEvent(servicesFromEnvironment(), event);
  if (done.released > 0) logger.info('restores completed', done);
  return done;
});
