import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface ServerProcess {
  url: string;
  pid: number;
  /** User + system CPU time the server process has used so far. */
  cpuSeconds(): number;
  /** Stops the server and deletes its data directory; safe to call more than once. */
  stop(): Promise<void>;
}

const ROOT = resolve(__dirname, '..');
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

function clockTicksPerSecond(): number {
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

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Starts `lambda/local/main.ts` as its own process on a free port and a fresh data directory. */
export async function startServerProcess(options: { cpuProfileDir?: string } = {}): Promise<ServerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'coldvault-bench-'));
  const port = await freePort();
  const profiling = options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', resolve(options.cpuProfileDir)] : [];
  const child = spawn(process.execPath, [...profiling, '--import', 'tsx', 'lambda/local/main.ts'], {
    cwd: ROOT,
    // Retrieval jobs complete as soon as they are asked about: the bench measures the work, not the wait.
    env: { ...process.env, PORT: String(port), COLDVAULT_HOST: '127.0.0.1', COLDVAULT_DATA_DIR: dataDir, COLDVAULT_JOB_DELAY_SECONDS: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  let exitedYet = false;
  void exited.then(() => (exitedYet = true));

  // Last resort if the bench exits without stop(), e.g. interrupted while the server starts.
  const abandon = () => {
    if (!exitedYet) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
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
      rmSync(dataDir, { recursive: true, force: true });
    })());

  const url = `http://127.0.0.1:${port}`;
  try {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (exitedYet) throw new Error(`the server exited during start-up:\n${output}`);
      if (Date.now() > deadline) throw new Error(`the server did not answer within ${START_TIMEOUT_MS / 1000} s:\n${output}`);
      // Any HTTP answer (an unsigned request gets a 403) means it serves.
      const answered = await fetch(url, { signal: AbortSignal.timeout(1000) }).then(
        () => true,
        () => false,
      );
      if (answered) break;
      await sleep(100);
    }
  } catch (error) {
    await stop();
    throw error;
  }

  const ticks = clockTicksPerSecond();
  const pid = child.pid as number;
  return { url, pid, cpuSeconds: () => processCpuSeconds(pid, ticks), stop };
}
