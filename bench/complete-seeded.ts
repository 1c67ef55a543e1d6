import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  CompleteMultipartUploadCommand,
  CreateVaultCommand,
  InitiateMultipartUploadCommand,
  type GlacierClient,
} from '@aws-sdk/client-glacier';
import { combineTreeHashes } from '../lambda/domain/checksums';
import type { UploadStore } from '../lambda/domain/ports';
import { withInProcessServer } from './in-process-server';
import { MiB, round, runPool } from './measure';

const VAULT = 'bench-complete';
const SEED_CONCURRENCY = 32;
const WARM_UP_PARTS = 10;

/**
 * CompleteMultipartUpload on uploads of many parts. Uploading 10,000 real parts is too much
 * data for a bench, so the part records are written straight into the store instead.
 * Complete only ever works on metadata: it reads every part record, checks the ranges,
 * combines the parts' tree hashes and writes the segment lists and the archive record; it
 * never reads or copies a part's bytes. With the records in place it does its full work, so
 * its latency here is what it would be after real uploads.
 *
 * It runs on an in-process local server of its own, started after the measured server is
 * stopped; its figures are latencies only, as its CPU is shared with the client.
 */
export async function completeSeededLatencies(partCounts: number[]) {
  return withInProcessServer({}, async (server, client) => {
    const { uploads } = server.services;
    const account = server.config.accountId;
    await client.send(new CreateVaultCommand({ accountId: '-', vaultName: VAULT }));
    // Warm-up: the server's Complete path and the client's connection, before any clock starts.
    await seededComplete(client, uploads, account, WARM_UP_PARTS);
    const results = [];
    for (const parts of partCounts) results.push(await seededComplete(client, uploads, account, parts));
    return results;
  });
}

async function seededComplete(client: GlacierClient, uploads: UploadStore, account: string, parts: number) {
  const { uploadId } = await client.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName: VAULT, partSize: String(MiB) }));
  if (!uploadId) throw new Error('InitiateMultipartUpload returned no upload ID');
  // A few distinct hashes, so the combined tree hash depends on every part's place.
  const hashes = Array.from({ length: 7 }, () => randomBytes(32));
  const partHash = (index: number) => hashes[index % hashes.length];
  const seedStarted = performance.now();
  await runPool(parts, SEED_CONCURRENCY, (index) =>
    uploads.putPart(account, VAULT, uploadId, {
      index,
      size: MiB,
      treeHash: partHash(index).toString('hex'),
      blobKey: `${account}/uploads/${uploadId}/${index}-seed`,
    }),
  );
  const seedSeconds = (performance.now() - seedStarted) / 1000;

  const expected = combineTreeHashes(Array.from({ length: parts }, (_, index) => partHash(index))).toString('hex');
  const started = performance.now();
  const done = await client.send(
    new CompleteMultipartUploadCommand({
      accountId: '-',
      vaultName: VAULT,
      uploadId,
      archiveSize: String(parts * MiB),
      checksum: expected,
    }),
  );
  const completeMs = performance.now() - started;
  if (done.checksum !== expected) throw new Error(`Complete of ${parts} parts returned tree hash ${done.checksum}, expected ${expected}`);
  return { parts, partMiB: 1, seedSeconds: round(seedSeconds, 2), completeMs: round(completeMs) };
}
