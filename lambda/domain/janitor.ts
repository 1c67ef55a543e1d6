import { purgeIdleUploads } from './multipart';
import { runDuePurges } from './purges';
import type { Services } from './services';

/** Everything the janitor does on a run: idle uploads, then deferred deletions that are due. */
export async function runJanitor(svc: Services): Promise<{ uploads: number; purges: number }> {
  const uploads = await purgeIdleUploads(svc);
  const purges = await runDuePurges(svc);
  return { uploads, purges };
}
