// A process's resident memory, as Linux reports it, for the tests and the bench that hold the
// server to a memory budget.
import { readFileSync } from 'node:fs';

/** VmRSS of `pid`, in bytes. */
export function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('VmRSS:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) * 1024;
}

/** Samples the RSS of `pid` every 50 ms until the returned function is called; it returns the peak, in bytes. */
export function sampleRss(pid: number): () => number {
  let peak = rssBytes(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssBytes(pid));
    } catch {
      // the process is gone: the caller finds out otherwise
    }
  }, 50);
  return () => {
    clearInterval(timer);
    return Math.max(peak, rssBytes(pid));
  };
}
