// Scheduled Lambda (every minute): completes retrieval jobs whose delay has passed.
import { readConfig } from '../config';
import { completeDueJobs } from '../domain/jobs';
import { createServices } from '../wiring';

export async function handler(): Promise<{ completed: number }> {
  const completed = await completeDueJobs(createServices(readConfig()));
  if (completed > 0) console.log(JSON.stringify({ level: 'info', message: 'jobs completed', completed }));
  return { completed };
}
