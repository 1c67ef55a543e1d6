// Scheduled Lambda: removes multipart uploads idle for 24 hours, and what crashed aborts left.
import { readConfig } from '../config';
import { purgeIdleUploads } from '../domain/multipart';
import { createServices } from '../wiring';

export async function handler(): Promise<{ purged: number }> {
  const purged = await purgeIdleUploads(createServices(readConfig()));
  console.log(JSON.stringify({ level: 'info', message: 'janitor finished', purged }));
  return { purged };
}
