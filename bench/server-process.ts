import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, spawnServer, waitUntilServing } from '../test/support/server-process';

export interface ServerProcess {
  url: string;
  pid: number;
  /** User + system CPU time the server process has used so far. */
  cpuSeconds(): number;
  /** Stops the server and deletes its data directory; safe to call more than once. */
  stop(): Promise<void>;
}

const STOP_TIMEOUT_MS = 10_000;

export function clockTicksPerSecond(): number {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
}

/** utime + stime from /proc/<pid>/stat, in seconds (fields 14 and 15; the name in parentheses may hold spaces). */
export function processCpuSeconds(pid: number, ticksPerSecond: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so utime (14) and stime (15) are at 11 and 12.
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * Stopping `child` (SIGTERM, then SIGKILL after a while), then `cleanUp`; safe to call more
 * than once. Until then the child is killed and `cleanUp` run if the bench exits without it.
 */
export function supervised(child: ChildProcess, exited: Promise<unknown>, cleanUp: () => void): { stop(): Promise<void> } {
  let exitedYet = false;
  void exited.then(() => (exitedYet = true));

  // Last resort if the bench exits without stop(), e.g. interrupted while the server starts.
  const abandon = () => {
    if (!exitedYet) child.kill('SIGKILL');
    cleanUp();
  };
  process.once('exit', abandon);

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      process.off('exit', abandon);
      if (!exitedYet) {
        child.kill('SIGTERM');
        const timedOut = await Promise.race([exited.then(() => false), sleep(STOP_TIMEOUT_MS).then(() => true)]);
        if (timedOut) {
          child.kill('SIGKILL');
          await exited;
        }
      }
      cleanUp();
    })());
  return { stop };
}

/** Starts `lambda/local/main.ts` as its own process on a free port and a fresh data directory. */
export async function startServerProcess(options: { cpuProfileDir?: string } = {}): Promise<ServerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'coldvault-bench-'));
  const port = await freePort();
  const profiling = options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', resolve(options.cpuProfileDir)] : [];
  // Retrieval jobs complete as soon as they are asked about: the bench measures the work, not the wait.
  const server = spawnServer(
    { PORT: String(port), COLDVAULT_HOST: '127.0.0.1', COLDVAULT_DATA_DIR: dataDir, COLDVAULT_JOB_DELAY_SECONDS: '0' },
    profiling,
  );
  const { stop } = supervised(server.child, server.exited, () => rmSync(dataDir, { recursive: true, force: true }));
  try {
    await waitUntilServing(server);
  } catch (error) {
    await stop();
    throw error;
  }

  const ticks = clockTicksPerSecond();
  const pid = server.child.pid as number;
  return { url: server.url, pid, cpuSeconds: () => processCpuSeconds(pid, ticks), stop };
}
