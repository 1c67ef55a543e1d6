// Nothing unauthenticated can make the server hold memory or lock others out: `npm start` in a
// child process, loopback only, measured from outside (/proc/<pid>/status) and probed with
// signed requests while hostile connections are open.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GlacierClient, ListVaultsCommand } from '@aws-sdk/client-glacier';
import { ROOT_CREDENTIALS } from '../support/local-server';
import { freePort } from '../support/server-process';
import { rssBytes } from '../support/process-memory';
import { requestHead } from '../support/raw-http';
import { signedHeaders } from '../support/signed-request';

const ROOT = resolve(__dirname, '../..');

interface Child {
  process: ChildProcess;
  url: string;
  output(): string;
}

/** `npm start`'s entry point with a file-descriptor limit, as every host has one. */
async function startServer(env: Record<string, string>, fileLimit = 4096): Promise<Child> {
  const port = await freePort();
  const child = spawn(
    '/bin/sh',
    ['-c', `ulimit -n ${fileLimit} && exec "$0" "$@"`, process.execPath, '--import', 'tsx', 'lambda/local/main.ts'],
    {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const deadline = Date.now() + 60_000;
  while (!output.includes('serving the Glacier API')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { process: child, url: `http://127.0.0.1:${port}`, output: () => output };
}

async function stop(child: Child) {
  const exited = new Promise((r) => child.process.once('exit', r));
  child.process.kill('SIGKILL');
  await exited;
}

const rssMiB = (pid: number) => Math.round(rssBytes(pid) / 1024 / 1024);

/** An upload's head signed with a wrong secret: nobody who holds the key sent it. */
async function unauthenticatedUploadHead(url: URL, length: number): Promise<Buffer> {
  const claimed = createHash('sha256').update('never sent').digest('hex');
  const headers = await signedHeaders(url.href, {
    method: 'POST',
    path: '/-/vaults/v/archives',
    headers: { 'x-amz-content-sha256': claimed, 'x-amz-sha256-tree-hash': claimed },
    credentials: { accessKeyId: ROOT_CREDENTIALS.accessKeyId, secretAccessKey: 'not-the-secret-access-key' },
  });
  return requestHead('POST', '/-/vaults/v/archives', { ...headers, 'content-length': String(length) });
}

function open(url: URL): Promise<Socket> {
  return new Promise((resolveSocket, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => resolveSocket(socket));
    socket.once('error', reject);
  });
}

const write = (socket: Socket, bytes: Buffer) =>
  new Promise<void>((resolveWrite) => {
    if (socket.destroyed) return resolveWrite();
    socket.write(bytes, () => resolveWrite());
    socket.once('close', () => resolveWrite());
  });

const client = (url: string) => new GlacierClient({ endpoint: url, region: 'us-east-1', credentials: ROOT_CREDENTIALS, maxAttempts: 1 });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'coldvault-limits-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('holds no memory for unauthenticated bodies: 64 connections each sending an almost complete 4.4 MB body', async () => {
  const server = await startServer({ COLDVAULT_DATA_DIR: dir, COLDVAULT_LIMITS: 'lambda' });
  const pid = server.process.pid as number;
  const sockets: Socket[] = [];
  try {
    await client(server.url).send(new ListVaultsCommand({ accountId: '-' }));
    const before = rssMiB(pid);
    const url = new URL(server.url);
    // Just under the API Gateway plane's limit, so that a server that buffers first takes it all.
    const length = 4_669_440 - 1;
    const head = await unauthenticatedUploadHead(url, length);
    const body = Buffer.alloc(length - 1, 7);
    for (let i = 0; i < 64; i += 1) {
      const socket = await open(url);
      socket.on('error', () => undefined);
      socket.on('data', () => undefined);
      sockets.push(socket);
    }
    const started = Date.now();
    await Promise.all(sockets.map((socket) => write(socket, Buffer.concat([head, body]))));
    console.log(`bodies sent in ${Date.now() - started} ms`);
    // Whatever the server took into memory shows in its RSS once it has read what was sent.
    let peak = rssMiB(pid);
    for (let i = 0; i < 20; i += 1) {
      await new Promise((r) => setTimeout(r, 250));
      peak = Math.max(peak, rssMiB(pid));
    }
    console.log(`server RSS: ${before} MiB before, ${peak} MiB with 64 unauthenticated almost complete bodies`);
    expect(peak - before).toBeLessThan(64);
    await expect(client(server.url).send(new ListVaultsCommand({ accountId: '-' }))).resolves.toBeDefined();
  } finally {
    for (const socket of sockets) socket.destroy();
    await stop(server);
  }
}, 120_000);

it('serves a signed probe while more half-open connections than it can hold are open (slowloris)', async () => {
  // A host's descriptor limit below the attackers' count: the server must keep a place for the probe.
  const server = await startServer({ COLDVAULT_DATA_DIR: dir, COLDVAULT_MAX_CONNECTIONS: '256' }, 512);
  const sockets: Socket[] = [];
  try {
    const url = new URL(server.url);
    for (let i = 0; i < 600; i += 1) {
      const socket = connect(Number(url.port), url.hostname);
      socket.on('error', () => undefined);
      socket.write('GET /-/vaults HTTP/1.1\r\nhost: x\r\nx-slow: ');
      sockets.push(socket);
    }
    await Promise.all(sockets.map((socket) => new Promise<void>((r) => (socket.connecting ? socket.once('connect', () => r()) : r()))));
    for (let probe = 0; probe < 3; probe += 1) {
      const started = Date.now();
      const out = await client(server.url).send(new ListVaultsCommand({ accountId: '-' }), { abortSignal: AbortSignal.timeout(10_000) });
      expect(out.$metadata.httpStatusCode).toBe(200);
      console.log(`signed probe ${probe + 1} answered in ${Date.now() - started} ms beside 600 half-open connections`);
    }
  } finally {
    for (const socket of sockets) socket.destroy();
    await stop(server);
  }
}, 120_000);
