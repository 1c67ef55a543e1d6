import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { GlacierClient } from '@aws-sdk/client-glacier';
import { ROOT_CREDENTIALS } from './local-server';

const ROOT = resolve(__dirname, '../..');

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  client(): GlacierClient;
  exited: Promise<number | null>;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolvePort(port));
    });
  });
}

/** `npm start`'s entry point in a child process of its own, so that tests can SIGKILL it; `nodeArgs` go to node (a profiler's, say). */
export function spawnServer(env: Record<string, string>, nodeArgs: string[] = []): ServerProcess {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'lambda/local/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
  const url = `http://127.0.0.1:${env.PORT}`;
  return {
    child,
    url,
    output: () => output,
    exited,
    client: () => new GlacierClient({ endpoint: url, region: 'us-east-1', credentials: ROOT_CREDENTIALS, maxAttempts: 1 }),
  };
}

/** Waits for the server's ready line; fails with its output if it exits or takes over 60 s. */
export async function waitUntilServing(server: ServerProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!server.output().includes('serving the Glacier API')) {
    if (server.child.exitCode !== null) throw new Error(`server exited ${server.child.exitCode}:\n${server.output()}`);
    if (Date.now() > deadline) throw new Error(`server did not start:\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
