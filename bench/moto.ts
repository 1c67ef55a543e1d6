import { spawn, spawnSync } from 'node:child_process';
import { freePort } from '../test/support/server-process';
import { processCpuSeconds, clockTicksPerSecond, type ServerProcess } from './server-process';

/**
 * moto_server (moto's stand-alone server, which answers the Glacier API and verifies neither
 * signatures nor checksums), for a side-by-side figure in the same run. Undefined when it is not
 * on this machine's PATH.
 */
export async function startMoto(): Promise<ServerProcess | undefined> {
  if (spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).status !== 0) return undefined;
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await fetch(`${url}/moto-api/`);
      break;
    } catch {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL');
        throw new Error('moto_server did not start within 30 s');
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const ticks = clockTicksPerSecond();
  const pid = child.pid as number;
  return {
    url,
    pid,
    cpuSeconds: () => processCpuSeconds(pid, ticks),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
