// `npm start` on its embedded stores, killed (SIGKILL) while LMDB commits and blob files are being
// written: after a restart every acknowledged write is there, and nothing partial shows.
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AddTagsToVaultCommand,
  CreateVaultCommand,
  ListTagsForVaultCommand,
  ListVaultsCommand,
  UploadArchiveCommand,
} from '@aws-sdk/client-glacier';
import { treeHash } from '../../lambda/domain/checksums';
import type { ArchiveRecord } from '../../lambda/domain/ports';
import { BLOBS_DIR } from '../../lambda/local/embedded-stores';
import { FileBlobStore } from '../../lambda/store/file-blobs';
import { LMDB_DIR, openLmdb, entriesUnder } from '../../lambda/store/lmdb-env';
import { freePort, spawnServer, waitUntilServing, type ServerProcess } from '../support/server-process';

const ACCOUNT = '123456789012';
const dataDir = mkdtempSync(join(tmpdir(), 'coldvault-embedded-crash-'));
const running: ServerProcess[] = [];
afterAll(async () => {
  for (const server of running) if (server.child.exitCode === null) server.child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(): Promise<ServerProcess> {
  const server = spawnServer({ PORT: String(await freePort()), COLDVAULT_DATA_DIR: dataDir });
  running.push(server);
  await waitUntilServing(server);
  return server;
}

async function bytesOf(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

it('loses no acknowledged write and shows nothing partial after SIGKILLs in the middle of writes', async () => {
  const vaults = new Set<string>();
  const tags = new Map<string, string>();
  const archives = new Map<string, Buffer>();

  for (let round = 0; round < 3; round += 1) {
    const server = await start();
    const client = server.client();
    // Kill after a random number of acknowledged writes, with 8 more in flight: some die mid-commit, mid-file.
    const killAfter = randomInt(10, 40);
    let acknowledged = 0;
    let killed = false;
    const acknowledge = () => {
      acknowledged += 1;
      if (acknowledged >= killAfter && !killed) {
        killed = true;
        server.child.kill('SIGKILL');
      }
    };
    const worker = async (id: number) => {
      for (let i = 0; !killed; i += 1) {
        const vaultName = `r${round}-w${id}-${i}`;
        try {
          await client.send(new CreateVaultCommand({ accountId: '-', vaultName }));
          vaults.add(vaultName);
          acknowledge();
          await client.send(new AddTagsToVaultCommand({ accountId: '-', vaultName, Tags: { round: String(round) } }));
          tags.set(vaultName, String(round));
          acknowledge();
          const body = randomBytes(randomInt(1, 3 * 1024 * 1024));
          const out = await client.send(new UploadArchiveCommand({ accountId: '-', vaultName, body }));
          archives.set(out.archiveId as string, body);
          acknowledge();
        } catch {
          return; // the server is gone
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, id) => worker(id)));
    await server.exited;
    client.destroy();
  }

  const server = await start();
  const client = server.client();
  try {
    const listed = new Set<string>();
    let marker: string | undefined;
    do {
      const page = await client.send(new ListVaultsCommand({ accountId: '-', marker }));
      for (const vault of page.VaultList ?? []) listed.add(vault.VaultName as string);
      marker = page.Marker;
    } while (marker);
    for (const vaultName of vaults) expect({ vaultName, listed: listed.has(vaultName) }).toEqual({ vaultName, listed: true });
    for (const [vaultName, round] of tags) {
      expect((await client.send(new ListTagsForVaultCommand({ accountId: '-', vaultName }))).Tags).toEqual({ round });
    }
  } finally {
    client.destroy();
    server.child.kill('SIGTERM');
    await server.exited;
  }

  // Every archive record names a whole blob; every acknowledged archive is recorded with its bytes.
  const blobs = new FileBlobStore(join(dataDir, BLOBS_DIR));
  const lmdb = openLmdb(join(dataDir, LMDB_DIR));
  try {
    const records = [...entriesUnder(lmdb.db<ArchiveRecord>('archives'), [ACCOUNT])].map((entry) => entry.value);
    for (const record of records) {
      if (record.layout.kind !== 'blob') continue;
      const bytes = await bytesOf(await blobs.get(record.layout.blobKey));
      expect({ archiveId: record.archiveId, size: bytes.length, treeHash: treeHash(bytes).toString('hex') }).toEqual({
        archiveId: record.archiveId,
        size: record.size,
        treeHash: record.treeHash,
      });
    }
    const recorded = new Set(records.map((record) => record.archiveId));
    for (const [archiveId, body] of archives) {
      expect({ archiveId, recorded: recorded.has(archiveId) }).toEqual({ archiveId, recorded: true });
      expect((await bytesOf(await blobs.get(`${ACCOUNT}/archives/${archiveId}`))).equals(body)).toBe(true);
    }
    expect(archives.size).toBeGreaterThan(0);
    // Blobs staged when the kills came were removed at the next start.
    expect(readdirSync(join(dataDir, BLOBS_DIR, 'staging'))).toEqual([]);
  } finally {
    await lmdb.close();
  }
}, 300_000);
