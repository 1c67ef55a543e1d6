import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateVaultCommand, DescribeVaultCommand, UploadArchiveCommand } from '@aws-sdk/client-glacier';
import { freePort, spawnServer, type ServerProcess } from '../support/server-process';
import { startTestServer } from '../support/local-server';

const scratch = mkdtempSync(join(tmpdir(), 'coldvault-long-lived-'));
const running: ServerProcess[] = [];

afterAll(async () => {
  for (const server of running) {
    if (server.child.exitCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
  }
  rmSync(scratch, { recursive: true, force: true });
});

async function startFails(env: Record<string, string>): Promise<string> {
  const server = spawnServer({ PORT: String(await freePort()), COLDVAULT_DATA_DIR: join(scratch, 'data'), ...env });
  running.push(server);
  expect(await server.exited).toBe(1);
  return server.output();
}

const STACK_FRAME = /^\s+at /m;

it('a data directory that cannot be created stops the server with a clear error naming COLDVAULT_DATA_DIR, not a stack trace', async () => {
  const file = join(scratch, 'a-file');
  writeFileSync(file, '');
  const output = await startFails({ COLDVAULT_DATA_DIR: file });
  expect(output).toMatch(/^coldvault: .*COLDVAULT_DATA_DIR/m);
  expect(output).not.toMatch(STACK_FRAME);
});

it('a port already in use stops the server with a clear error naming PORT, not a stack trace', async () => {
  const taken: Server = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  try {
    const output = await startFails({ PORT: String((taken.address() as { port: number }).port) });
    expect(output).toMatch(/^coldvault: .*PORT/m);
    expect(output).not.toMatch(STACK_FRAME);
  } finally {
    await new Promise((resolve) => taken.close(resolve));
  }
});

it('a host that does not resolve stops the server with a clear error naming COLDVAULT_HOST, not a stack trace', async () => {
  const output = await startFails({ COLDVAULT_HOST: 'no-such-host.invalid' });
  expect(output).toMatch(/^coldvault: .*COLDVAULT_HOST/m);
  expect(output).not.toMatch(STACK_FRAME);
});

it('an inventory interval longer than a timer can wait (30 days) does not run the inventory at once', async () => {
  const server = await startTestServer({ COLDVAULT_INVENTORY_INTERVAL_SECONDS: String(30 * 86400) });
  try {
    const client = server.client();
    await client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'monthly' }));
    await client.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'monthly', body: Buffer.from('an archive') }));
    await new Promise((r) => setTimeout(r, 1500));
    const vault = await client.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'monthly' }));
    expect(vault.LastInventoryDate).toBeUndefined();
  } finally {
    await server.destroy();
  }
});
