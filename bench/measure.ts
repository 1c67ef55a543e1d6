import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';

export const MiB = 1024 * 1024;

export interface Timings {
  seconds: number;
  latenciesMs: number[];
}

/** Runs `count` tasks, at most `concurrency` at a time, timing each one and the whole. */
export async function runPool(count: number, concurrency: number, task: (index: number) => Promise<unknown>): Promise<Timings> {
  const latenciesMs: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const started = performance.now();
      await task(index);
      latenciesMs.push(performance.now() - started);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { seconds: (performance.now() - started) / 1000, latenciesMs };
}

/** Runs `run` and returns its timings with the server CPU seconds it cost. */
export async function measured<T extends Timings>(server: { cpuSeconds(): number }, run: () => Promise<T>) {
  const before = server.cpuSeconds();
  const timings = await run();
  return { ...timings, serverCpuSeconds: server.cpuSeconds() - before };
}

/** The figures every byte-moving measurement reports: its time, its rate, and the server CPU per GiB. */
export function transferFigures(result: { seconds: number; serverCpuSeconds: number }, mib: number) {
  return {
    seconds: round(result.seconds, 2),
    mibPerSecond: round(mib / result.seconds),
    serverCpuSeconds: round(result.serverCpuSeconds, 2),
    serverCpuSecondsPerGiB: round(result.serverCpuSeconds / (mib / 1024), 2),
  };
}

/** Nearest-rank percentile. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * SHA-256 of 4 MiB buffers on this thread for about `seconds`, in MiB/s: the fastest of five
 * windows, so that a moment of contention from other processes does not lower the floor.
 */
export function sha256MibPerSecond(seconds = 1): number {
  const buffer = randomBytes(4 * MiB);
  for (let i = 0; i < 3; i += 1) createHash('sha256').update(buffer).digest();
  let best = 0;
  for (let window = 0; window < 5; window += 1) {
    let hashed = 0;
    let elapsed = 0;
    const started = performance.now();
    while (elapsed < (seconds * 1000) / 5) {
      createHash('sha256').update(buffer).digest();
      hashed += buffer.length;
      elapsed = performance.now() - started;
    }
    best = Math.max(best, hashed / MiB / (elapsed / 1000));
  }
  return best;
}

export const round = (value: number, digits = 1) => Number(value.toFixed(digits));
