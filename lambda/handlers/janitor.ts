// Scheduled Lambda: removes idle multipart uploads and runs the deferred deletions that are due.
import { readConfig } from '../config';
import { runJanitor } from '../domain/janitor';
import { createServices } from '../wiring';

export async function handler(): Promise<{ uploads: number; purges: number }> {
  const done = await runJanitor(createServices(readConfig()));
  console.log(JSON.stringify({ level: 'info', message: 'janitor finished', ...done }));
  return done;
}
