// `coldvault import` end to end: a second local coldvault is the source (a Glacier-API endpoint
// with the root key), the import runs as users run it, into a destination server's data directory.
import { ACCOUNT } from '../support/accounts';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  CompleteMultipartUploadCommand,
  CreateVaultCommand,
  DeleteArchiveCommand,
  GetJobOutputCommand,
  InitiateJobCommand,
  InitiateMultipartUploadCommand,
  ListJobsCommand,
  SetDataRetrievalPolicyCommand,
  UploadArchiveCommand,
  UploadMultipartPartCommand,
  type GlacierClient,
} from '@aws-sdk/client-glacier';
import { writeImportedArchive } from '../../lambda/admin/import-writer';
import { leavesKey } from '../../lambda/domain/blobs';
import { MiB, treeHash } from '../../lambda/domain/checksums';
import { runJanitor } from '../../lambda/domain/janitor';
import { cli, cliInTerminal, startCli } from '../support/cli-process';
import { waitForJob } from '../support/glacier';
import { ROOT_CREDENTIALS, startTestServer, type TestServer } from '../support/local-server';

/** An archive ID in Glacier's own format, from the service model's examples. */
const GLACIER_ID =
  'kKB7ymWJVpPSwhGP6ycSOAekp9ZYe_--zM_mw6k76ZFGEIWQX-ybtRDvc2VkPSDtfKmQrj0IRQLSGsNuDp-AJVlu2ccmDSyDUmZwKbwbpAdGATGDiB3hHO0bjbGehXTcApVud_wyDw';
const PART = 4 * MiB;

interface Made {
  archiveId: string;
  bytes: Buffer;
  description: string;
}

let source: TestServer;
let destination: TestServer;
let src: GlacierClient;
let dst: GlacierClient;

beforeAll(async () => {
  source = await startTestServer({ COLDVAULT_JOB_DELAY_SECONDS: '0' });
  destination = await startTestServer({ COLDVAULT_JOB_DELAY_SECONDS: '0' });
  src = source.client();
  dst = destination.client();
});

afterAll(async () => {
  await source?.destroy();
  await destination?.destroy();
});

async function upload(vaultName: string, bytes: Buffer, description: string): Promise<Made> {
  if (bytes.length <= PART) {
    const out = await src.send(new UploadArchiveCommand({ accountId: '-', vaultName, body: bytes, archiveDescription: description }));
    return { archiveId: out.archiveId as string, bytes, description };
  }
  const { uploadId } = await src.send(
    new InitiateMultipartUploadCommand({ accountId: '-', vaultName, partSize: String(PART), archiveDescription: description }),
  );
  for (let start = 0; start < bytes.length; start += PART) {
    const body = bytes.subarray(start, Math.min(start + PART, bytes.length));
    await src.send(
      new UploadMultipartPartCommand({ accountId: '-', vaultName, uploadId, range: `bytes ${start}-${start + body.length - 1}/*`, body }),
    );
  }
  const out = await src.send(
    new CompleteMultipartUploadCommand({
      accountId: '-',
      vaultName,
      uploadId,
      archiveSize: String(bytes.length),
      checksum: treeHash(bytes).toString('hex'),
    }),
  );
  return { archiveId: out.archiveId as string, bytes, description };
}

function importArgs(sourceVault: string, vault: string, extra: string[] = []): string[] {
  return [
    'import',
    '--source-vault',
    sourceVault,
    '--vault',
    vault,
    '--account',
    ACCOUNT,
    '--source-endpoint',
    source.url,
    '--source-access-key-id',
    ROOT_CREDENTIALS.accessKeyId,
    '--source-secret-access-key',
    ROOT_CREDENTIALS.secretAccessKey,
    '--data-dir',
    destination.dataDir,
    '--poll-seconds',
    '0.1',
    '--range-mib',
    '4',
    ...extra,
  ];
}

/** The whole output of a job on the destination, read in ranges the local endpoint serves. */
async function retrieve(vaultName: string, archiveId: string): Promise<{ bytes: Buffer; treeHash?: string; description?: string }> {
  const { jobId } = await dst.send(
    new InitiateJobCommand({ accountId: '-', vaultName, jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId } }),
  );
  const job = await waitForJob(dst, vaultName, jobId);
  expect(job.StatusCode).toBe('Succeeded');
  const size = job.ArchiveSizeInBytes as number;
  const pieces: Buffer[] = [];
  let description: string | undefined;
  for (let start = 0; start < size; start += PART) {
    const end = Math.min(start + PART, size) - 1;
    const out = await dst.send(new GetJobOutputCommand({ accountId: '-', vaultName, jobId, range: `bytes=${start}-${end}` }));
    pieces.push(Buffer.from(await (out.body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()));
    description = out.archiveDescription;
  }
  return { bytes: Buffer.concat(pieces), treeHash: job.SHA256TreeHash, description };
}

async function inventoryOf(client: GlacierClient, server: TestServer, vaultName: string) {
  await server.runInventory();
  const { jobId } = await client.send(
    new InitiateJobCommand({ accountId: '-', vaultName, jobParameters: { Type: 'inventory-retrieval', Format: 'JSON' } }),
  );
  await waitForJob(client, vaultName, jobId);
  const out = await client.send(new GetJobOutputCommand({ accountId: '-', vaultName, jobId }));
  return JSON.parse(await (out.body as { transformToString(): Promise<string> }).transformToString()) as {
    ArchiveList: { ArchiveId: string; ArchiveDescription: string; CreationDate: string; Size: number; SHA256TreeHash: string }[];
  };
}

async function recordedArchives(vaultName: string) {
  const { items } = await destination.services.metadata.listArchives(ACCOUNT, vaultName);
  return items;
}

async function archiveBlobsAfterJanitor(): Promise<string[]> {
  const later = { ...destination.services, now: () => new Date(Date.now() + 25 * 60 * 60 * 1000) };
  await runJanitor(later);
  return (await destination.services.blobs.list(`${ACCOUNT}/archives/`)).sort();
}

describe('a vault with archives from 1 byte to over 100 MB', () => {
  const made: Made[] = [];

  beforeAll(async () => {
    await src.send(new CreateVaultCommand({ accountId: '-', vaultName: 'photos' }));
    made.push(await upload('photos', randomBytes(1), 'one byte'));
    made.push(await upload('photos', randomBytes(MiB), 'exactly 1 MiB'));
    made.push(await upload('photos', randomBytes(3 * MiB + 17), ''));
    made.push(await upload('photos', randomBytes(9 * MiB + 5), 'multipart, 3 parts'));
    made.push(await upload('photos', randomBytes(100 * MiB + 12_345), 'over 100 MB, 26 parts'));
    // An archive with an ID of Glacier's own, as an earlier import would have left it.
    const bytes = randomBytes(2 * MiB + 1);
    await writeImportedArchive(
      source.services,
      {
        accountId: ACCOUNT,
        vaultName: 'photos',
        archiveId: GLACIER_ID,
        description: 'from Amazon Glacier',
        creationDate: '2016-07-04T12:00:00.000Z',
        size: bytes.length,
        treeHash: treeHash(bytes).toString('hex'),
      },
      Readable.from([bytes]),
    );
    made.push({ archiveId: GLACIER_ID, bytes, description: 'from Amazon Glacier' });
    await source.runInventory();
  });

  it('copies them with IDs, descriptions, creation dates, sizes and tree hashes; each comes back byte for byte by its ID', async () => {
    const sourceInventory = await inventoryOf(src, source, 'photos');
    const run = await cli(importArgs('photos', 'imported', ['--verify']));
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.not.stringMatching(/coldvault|Error/) });
    expect(run.stdout).toContain(`Imported 6 archives; 0 were already there; 0 failed (of 6).`);
    expect(run.stdout).toContain('verify: 6 of 6 archives match the source inventory (ID, size, tree hash)');
    expect(run.stdout).toMatch(/^progress: 6\/6 archives, (115\.0 MiB)\/\1, .+\/s, 0 jobs waiting, ETA 0s$/m);

    for (const archive of made) {
      const back = await retrieve('imported', archive.archiveId);
      expect(back.bytes.equals(archive.bytes)).toBe(true);
      expect(back.treeHash).toBe(treeHash(archive.bytes).toString('hex'));
      expect(back.description ?? '').toBe(archive.description);
    }
    const copied = await inventoryOf(dst, destination, 'imported');
    const byId = (list: typeof copied.ArchiveList) => [...list].sort((a, b) => a.ArchiveId.localeCompare(b.ArchiveId));
    expect(byId(copied.ArchiveList)).toEqual(byId(sourceInventory.ArchiveList));
    expect(copied.ArchiveList.find((a) => a.ArchiveId === GLACIER_ID)?.CreationDate).toBe('2016-07-04T12:00:00.000Z');
  }, 240_000);

  it('a second run imports nothing and says so', async () => {
    const jobsBefore = await src.send(new ListJobsCommand({ accountId: '-', vaultName: 'photos' }));
    const run = await cli(importArgs('photos', 'imported'));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Nothing to import: all 6 archives of vault photos are already in vault imported.');
    const jobsAfter = await src.send(new ListJobsCommand({ accountId: '-', vaultName: 'photos' }));
    expect(jobsAfter.JobList?.length).toBe(jobsBefore.JobList?.length);
    expect(await recordedArchives('imported')).toHaveLength(6);
  });

  it('an archive with an ID in Glacier format can be deleted after import, and its bytes go', async () => {
    await dst.send(new DeleteArchiveCommand({ accountId: '-', vaultName: 'imported', archiveId: GLACIER_ID }));
    const { jobId } = await dst.send(
      new InitiateJobCommand({
        accountId: '-',
        vaultName: 'imported',
        jobParameters: { Type: 'archive-retrieval', ArchiveId: GLACIER_ID },
      }),
    );
    const job = await waitForJob(dst, 'imported', jobId);
    expect({ status: job.StatusCode, message: job.StatusMessage }).toEqual({
      status: 'Failed',
      message: `The archive ${GLACIER_ID} was deleted before this job was started.`,
    });
    const listed = await inventoryOf(dst, destination, 'imported');
    expect(listed.ArchiveList.map((a) => a.ArchiveId)).not.toContain(GLACIER_ID);
    const blobs = await archiveBlobsAfterJanitor();
    expect(blobs.some((key) => key.includes(GLACIER_ID))).toBe(false);
  });
});

describe('a killed import', () => {
  const made: Made[] = [];
  beforeAll(async () => {
    await src.send(new CreateVaultCommand({ accountId: '-', vaultName: 'kill' }));
    made.push(await upload('kill', randomBytes(9 * MiB + 3), 'nine MiB'));
    made.push(await upload('kill', randomBytes(2 * MiB), 'two MiB'));
    made.push(await upload('kill', randomBytes(1), 'a byte'));
    await source.runInventory();
  });

  it('resumes after SIGKILL mid-download and mid-write: every archive once, verified, no job started twice, no orphan bytes', async () => {
    const args = importArgs('kill', 'kill-copy', ['--range-mib', '1', '--verify']);
    const midDownload = await cli(args, { COLDVAULT_TEST_KILL_AT: 'import:after-range@4' });
    expect(midDownload.signal).toBe('SIGKILL');
    const midWrite = await cli(args, { COLDVAULT_TEST_KILL_AT: 'import:after-blob@1' });
    expect(midWrite.signal).toBe('SIGKILL');
    const recordedBefore = (await recordedArchives('kill-copy')).length;
    expect(recordedBefore).toBeLessThan(3);

    const finished = await cli(args);
    expect({ code: finished.code, stderr: finished.stderr }).toEqual({ code: 0, stderr: expect.not.stringMatching(/coldvault|Error/) });
    expect(finished.stdout).toContain('verify: 3 of 3 archives match the source inventory');

    const records = await recordedArchives('kill-copy');
    expect(records.map((r) => r.archiveId).sort()).toEqual(made.map((m) => m.archiveId).sort());
    for (const archive of made) expect((await retrieve('kill-copy', archive.archiveId)).bytes.equals(archive.bytes)).toBe(true);

    // One retrieval job per archive at the source, whatever the kills.
    const jobs = await src.send(new ListJobsCommand({ accountId: '-', vaultName: 'kill' }));
    const retrievals = (jobs.JobList ?? []).filter((job) => job.Action === 'ArchiveRetrieval');
    expect(retrievals.map((job) => job.ArchiveId).sort()).toEqual(made.map((m) => m.archiveId).sort());

    // A recorded blob over 1 MiB keeps its leaf hashes beside it; a killed write's blob goes with its sidecar.
    const kept = records.flatMap((r) => {
      const { blobKey } = r.layout as { blobKey: string };
      return r.size > MiB ? [blobKey, leavesKey(blobKey)] : [blobKey];
    });
    const blobs = await archiveBlobsAfterJanitor();
    for (const key of kept) expect(blobs).toContain(key);
    expect(blobs.filter((key) => made.some((m) => key.includes(m.archiveId))).sort()).toEqual(kept.sort());
  }, 120_000);
});

describe('a job whose output expired while the import was stopped', () => {
  it('is started again, and the archive recorded once', async () => {
    await src.send(new CreateVaultCommand({ accountId: '-', vaultName: 'expire' }));
    const archive = await upload('expire', randomBytes(2 * MiB), 'two MiB');
    await source.runInventory();
    const args = importArgs('expire', 'expire-copy', ['--range-mib', '1']);
    expect((await cli(args, { COLDVAULT_TEST_KILL_AT: 'import:after-range@1' })).signal).toBe('SIGKILL');

    // The source forgets a job a day after it completed: stand in for that with a job it never knew.
    const statePath = join(destination.dataDir, 'imports', `${ACCOUNT}.expire-copy.json`);
    const state = JSON.parse(readFileSync(statePath, 'utf8')) as { archives: Record<string, { job?: { jobId: string } }> };
    const gone = `${'0'.repeat(12)}${'x'.repeat(80)}`;
    (state.archives[archive.archiveId].job as { jobId: string }).jobId = gone;
    writeFileSync(statePath, JSON.stringify(state));

    const run = await cli(args);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${archive.archiveId}: the output of job ${gone} expired; starting another job`);
    expect(run.stdout).toContain('Imported 1 archives; 0 were already there; 0 failed (of 1).');
    const jobs = await src.send(new ListJobsCommand({ accountId: '-', vaultName: 'expire' }));
    expect((jobs.JobList ?? []).filter((job) => job.Action === 'ArchiveRetrieval')).toHaveLength(2);
    expect((await recordedArchives('expire-copy')).map((r) => r.archiveId)).toEqual([archive.archiveId]);
  }, 60_000);
});

describe('a daily budget and the source’s data retrieval policy', () => {
  afterAll(async () => {
    await src.send(new SetDataRetrievalPolicyCommand({ accountId: '-', Policy: { Rules: [{ Strategy: 'None' }] } }));
  });

  it('starts no more retrievals than the budget allows; Ctrl-C stops the import, keeping what is done', async () => {
    await src.send(new CreateVaultCommand({ accountId: '-', vaultName: 'budget' }));
    const archives = [await upload('budget', randomBytes(2000), 'first'), await upload('budget', randomBytes(2000), 'second')];
    await source.runInventory();
    await src.send(
      new SetDataRetrievalPolicyCommand({ accountId: '-', Policy: { Rules: [{ Strategy: 'BytesPerHour', BytesPerHour: 600 }] } }),
    );
    const running = startCli(importArgs('budget', 'budget-copy', ['--tier', 'Standard', '--bytes-per-day', '3000']));
    await running.waitFor(/^Daily retrieval budget spent: the next job starts at \d{4}-.*Z$/m);
    await running.waitFor(/^imported /m);
    running.child.kill('SIGINT');
    const run = await running.ended;
    expect(run.code).toBe(130);
    expect(run.stderr).toContain('Interrupted: what was imported is kept. Run the same command again to go on where it stopped.');
    expect(run.stdout).toContain("The source's data retrieval policy is BytesPerHour: at most 2.9 KiB a day");

    const jobs = await src.send(new ListJobsCommand({ accountId: '-', vaultName: 'budget' }));
    const retrievals = (jobs.JobList ?? []).filter((job) => job.Action === 'ArchiveRetrieval');
    expect(retrievals).toHaveLength(1);
    expect((await recordedArchives('budget-copy')).map((r) => r.archiveId)).toEqual([retrievals[0].ArchiveId]);
    expect(archives.map((a) => a.archiveId)).toContain(retrievals[0].ArchiveId);
  }, 60_000);
});

/** The vault's inventory, in a file for `--inventory`, with another tree hash for `bad` (listed first with `first`). */
async function inventoryWithWrongTreeHash(vaultName: string, bad: Made, options: { first?: boolean } = {}) {
  const inventory = await inventoryOf(src, source, vaultName);
  const entry = inventory.ArchiveList.find((a) => a.ArchiveId === bad.archiveId);
  if (!entry) throw new Error('the inventory lacks the archive');
  entry.SHA256TreeHash = treeHash(randomBytes(bad.bytes.length)).toString('hex');
  if (options.first) inventory.ArchiveList.sort((a) => (a.ArchiveId === bad.archiveId ? -1 : 1));
  const file = join(destination.dataDir, `${vaultName}-inventory.json`);
  writeFileSync(file, JSON.stringify(inventory));
  return { file, wrongTreeHash: entry.SHA256TreeHash };
}

describe('an archive whose bytes do not match its inventory tree hash', () => {
  it('is retried, reported and not recorded; the others are imported', async () => {
    await src.send(new CreateVaultCommand({ accountId: '-', vaultName: 'tampered' }));
    const good = await upload('tampered', randomBytes(5000), 'good');
    const bad = await upload('tampered', randomBytes(6000), 'bad');
    const { file, wrongTreeHash } = await inventoryWithWrongTreeHash('tampered', bad);

    const run = await cli(importArgs('tampered', 'tampered-copy', ['--inventory', file]));
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('Imported 1 archives; 0 were already there; 1 failed (of 2).');
    expect(run.stdout).toContain(
      `failed: ${bad.archiveId}: The archive's tree hash is ${treeHash(bad.bytes).toString('hex')}, not ${wrongTreeHash}`,
    );
    expect(run.stdout.match(new RegExp(`${bad.archiveId}: The archive's tree hash`, 'g'))).toHaveLength(3 + 1);
    expect((await recordedArchives('tampered-copy')).map((r) => r.archiveId)).toEqual([good.archiveId]);
    expect(readFileSync(file, 'utf8')).toContain(bad.archiveId);
  }, 60_000);
});

describe('archives that fail verification, as many as --max-jobs', () => {
  it('are reported, and do not keep the other archives from being imported', async () => {
    await src.send(new CreateVaultCommand({ accountId: '-', vaultName: 'stuck' }));
    const bad = await upload('stuck', randomBytes(3000), 'bad');
    const good = await upload('stuck', randomBytes(4000), 'good');
    // The failing archive first, so that it takes the one job allowed before the other starts.
    const { file } = await inventoryWithWrongTreeHash('stuck', bad, { first: true });

    const running = startCli(importArgs('stuck', 'stuck-copy', ['--inventory', file, '--max-jobs', '1']));
    const watchdog = setTimeout(() => running.child.kill('SIGKILL'), 30_000);
    const run = await running.ended;
    clearTimeout(watchdog);
    expect({ code: run.code, signal: run.signal }).toEqual({ code: 1, signal: null });
    expect(run.stdout).toContain('Imported 1 archives; 0 were already there; 1 failed (of 2).');
    expect(run.stdout).toContain(`failed: ${bad.archiveId}: The archive's tree hash is`);
    expect((await recordedArchives('stuck-copy')).map((r) => r.archiveId)).toEqual([good.archiveId]);
  }, 60_000);
});

describe('a state file that says more than the destination holds', () => {
  it('is checked against the destination’s own records: what is not there is imported', async () => {
    // A deployed destination's default state file is named after the account and vault only, so a
    // second stack imported into from the same directory finds the first one's progress.
    await src.send(new CreateVaultCommand({ accountId: '-', vaultName: 'restate' }));
    const archives = [await upload('restate', randomBytes(1500), 'first'), await upload('restate', randomBytes(2500), 'second')];
    await source.runInventory();
    const state = join(destination.dataDir, 'restate-state.json');
    expect((await cli(importArgs('restate', 'restate-one', ['--state', state]))).code).toBe(0);

    const run = await cli(importArgs('restate', 'restate-two', ['--state', state, '--verify']));
    expect(run.stdout).toContain('Imported 2 archives; 0 were already there; 0 failed (of 2).');
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toContain('verify: 2 of 2 archives match the source inventory');
    const recorded = (await recordedArchives('restate-two')).map((r) => r.archiveId).sort();
    expect(recorded).toEqual(archives.map((a) => a.archiveId).sort());
  }, 60_000);
});

describe('progress on a terminal', () => {
  it('draws a live bar with archives, bytes, throughput, jobs waiting and ETA', async () => {
    await src.send(new CreateVaultCommand({ accountId: '-', vaultName: 'tty' }));
    await upload('tty', randomBytes(3 * MiB), 'three MiB');
    await source.runInventory();
    const run = await cliInTerminal(importArgs('tty', 'tty-copy'));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/█+ 1\/1 archives \| 3\.0 MiB\/3\.0 MiB \| .+\/s \| 0 jobs waiting \| ETA 0s/);
    expect(run.stdout).toContain('Imported 1 archives');
  }, 60_000);
});
