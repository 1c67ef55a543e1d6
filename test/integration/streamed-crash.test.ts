// The streamed upload path under the two ways a body can stop half-way: the client goes away,
// and the server is killed. Either way nothing becomes visible, and no bytes are left behind.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { CreateVaultCommand, DescribeVaultCommand } from '@aws-sdk/client-glacier';
import { BLOBS_DIR } from '../../lambda/local/embedded-stores';
import { ROOT_CREDENTIALS, startTestServer, type TestServer } from '../support/local-server';
import { freePort, spawnServer, waitUntilServing } from '../support/server-process';
import { hashesOf, syntheticBody } from '../support/streamed-request';
import { ACCOUNT } from '../support/accounts';

const MiB = 1024 * 1024;
const DECLARED = 64 * MiB;
const SENT_BEFORE_STOP = 20 * MiB;

/** Every file under the data directory's blobs, staging included. */
function blobFiles(dataDir: string): string[] {
  const root = join(dataDir, BLOBS_DIR);
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath ?? entry.path, entry.name)));
}

/**
 * Starts a signed UploadArchive of DECLARED bytes and sends the first SENT_BEFORE_STOP of them;
 * resolves once they are written to the socket, with the request to destroy.
 */
async function halfSentUpload(url: string, vaultName: string) {
  const target = new URL(url);
  const body = syntheticBody(DECLARED, 7);
  const { sha256, treeHash } = await hashesOf(body.stream());
  const signer = new SignatureV4({
    service: 'glacier',
    region: 'us-east-1',
    credentials: ROOT_CREDENTIALS,
    sha256: Hash.bind(null, 'sha256'),
  });
  const path = `/-/vaults/${vaultName}/archives`;
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: target.hostname,
    port: Number(target.port),
    path,
    query: {},
    headers: {
      host: target.host,
      'x-amz-glacier-version': '2012-06-01',
      'x-amz-content-sha256': sha256,
      'x-amz-sha256-tree-hash': treeHash,
      'content-length': String(DECLARED),
    },
  });
  const outgoing = httpRequest({ host: target.hostname, port: target.port, method: 'POST', path, headers: signed.headers });
  outgoing.on('error', () => undefined);
  let sent = 0;
  for await (const chunk of body.stream() as AsyncIterable<Buffer>) {
    if (sent + chunk.length > SENT_BEFORE_STOP) break;
    await new Promise<void>((resolve, reject) => outgoing.write(chunk, (error) => (error ? reject(error) : resolve())));
    sent += chunk.length;
  }
  return outgoing;
}

async function archivesAfterInventory(server: TestServer, vaultName: string) {
  await server.runInventory();
  const vault = await server.client().send(new DescribeVaultCommand({ accountId: '-', vaultName }));
  const listed = await server.services.metadata.listArchives(ACCOUNT, vaultName);
  return { numberOfArchives: vault.NumberOfArchives, records: listed.items.length };
}

describe('a streamed upload that stops half-way', () => {
  test('a client that goes away mid-body leaves no archive and no bytes, and the server keeps serving', async () => {
    const server = await startTestServer();
    try {
      await server.client().send(new CreateVaultCommand({ accountId: '-', vaultName: 'gone' }));
      const outgoing = await halfSentUpload(server.url, 'gone');
      outgoing.destroy();
      // The server notices the closed socket, fails the body, and discards what it staged.
      const deadline = Date.now() + 10_000;
      while (blobFiles(server.dataDir).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(blobFiles(server.dataDir)).toEqual([]);
      expect(await archivesAfterInventory(server, 'gone')).toEqual({ numberOfArchives: 0, records: 0 });
    } finally {
      await server.destroy();
    }
  }, 120_000);

  test('a server killed mid-body shows no archive after a restart, and leaves no bytes behind', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'coldvault-killed-'));
    try {
      const child = spawnServer({ PORT: String(await freePort()), COLDVAULT_HOST: '127.0.0.1', COLDVAULT_DATA_DIR: dataDir });
      await waitUntilServing(child);
      await child.client().send(new CreateVaultCommand({ accountId: '-', vaultName: 'killed' }));
      const outgoing = await halfSentUpload(child.url, 'killed');
      // The bytes so far are in the server's staging file when it dies.
      const deadline = Date.now() + 10_000;
      while (blobFiles(dataDir).length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(blobFiles(dataDir).length).toBeGreaterThan(0);
      child.child.kill('SIGKILL');
      await child.exited;
      outgoing.destroy();

      const restarted = await startTestServer({}, dataDir);
      try {
        expect(blobFiles(dataDir)).toEqual([]);
        expect(await archivesAfterInventory(restarted, 'killed')).toEqual({ numberOfArchives: 0, records: 0 });
      } finally {
        await restarted.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
