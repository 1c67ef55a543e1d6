// The streamed data path on the memory stores: bytes that fail on the way leave nothing visible;
// leaf hashes kept at upload give any MiB-aligned range's tree hash without reading the archive;
// job output is a stream whose length is announced up front.
import { randomBytes } from 'node:crypto';
import { uploadArchive } from '../../lambda/domain/archives';
import { leavesKey } from '../../lambda/domain/blobs';
import { MiB, treeHash } from '../../lambda/domain/checksums';
import { completeDueJobs, initiateJob } from '../../lambda/domain/jobs';
import { parseJobRequest } from '../../lambda/ops/job-parameters';
import { completeUpload, initiateUpload, uploadPart } from '../../lambda/domain/multipart';
import { runJanitor } from '../../lambda/domain/janitor';
import { createVault } from '../../lambda/domain/vaults';
import { memoryServices, MEMORY_JOB_DELAYS_MS, type MemoryServices } from '../support/memory-stores';
import { cutShort, incoming } from '../support/incoming';
import { ACCOUNT, jobOutput, sendPart, upload } from '../support/domain-helpers';
import { RECORDED_LEAVES_MAX } from '../../lambda/domain/staging';

let svc: MemoryServices;

beforeEach(async () => {
  // Glacier's own limit: a whole output of any size here goes out in one answer.
  svc = memoryServices(undefined, undefined, { maxBodyBytes: 4 * 1024 * MiB });
  await createVault(svc, ACCOUNT, 'v');
  svc.advance(1000);
});

const hex = (data: Buffer) => treeHash(data).toString('hex');

async function expectNothingVisible() {
  expect((await svc.metadata.listArchives(ACCOUNT, 'v')).items).toEqual([]);
  // What a failed stage left is gone at once; the queued removal finds nothing more to do.
  expect(svc.blobs.keys()).toEqual([]);
  svc.advance(48 * 60 * 60 * 1000);
  await runJanitor(svc);
  expect(svc.blobs.keys()).toEqual([]);
}

describe('an upload whose bytes fail on the way', () => {
  const data = randomBytes(3 * MiB + 17);

  it("is refused with the body's own error when they do not hash to the signed payload hash", async () => {
    const attempt = uploadArchive(svc, {
      accountId: ACCOUNT,
      vaultName: 'v',
      bytes: incoming(data, { sha256: Buffer.alloc(32, 1) }),
      expectedTreeHash: hex(data),
      description: '',
    });
    await expect(attempt).rejects.toMatchObject({ code: 'InvalidSignatureException' });
    await expectNothingVisible();
  });

  it('is refused when the client goes away mid-body', async () => {
    const attempt = uploadArchive(svc, {
      accountId: ACCOUNT,
      vaultName: 'v',
      bytes: cutShort(data, MiB + 3),
      expectedTreeHash: hex(data),
      description: '',
    });
    await expect(attempt).rejects.toThrow('aborted');
    await expectNothingVisible();
  });

  it('is refused when the tree hash does not match, after the bytes were staged', async () => {
    const attempt = uploadArchive(svc, {
      accountId: ACCOUNT,
      vaultName: 'v',
      bytes: incoming(data),
      expectedTreeHash: 'ab'.repeat(32),
      description: '',
    });
    await expect(attempt).rejects.toMatchObject({
      code: 'InvalidParameterValueException',
      message: expect.stringMatching(/^Checksum mismatch/),
    });
    await expectNothingVisible();
  });

  it('as a part, is refused and leaves no part', async () => {
    const { uploadId } = await initiateUpload(svc, { accountId: ACCOUNT, vaultName: 'v', partSize: 4 * MiB, description: '' });
    const attempt = uploadPart(svc, {
      accountId: ACCOUNT,
      vaultName: 'v',
      uploadId,
      contentRange: `bytes 0-${data.length - 1}/*`,
      bytes: cutShort(data, 2 * MiB),
      expectedTreeHash: hex(data),
    });
    await expect(attempt).rejects.toThrow('aborted');
    expect((await svc.uploads.listParts(ACCOUNT, 'v', uploadId, 0, 10)).items).toEqual([]);
    expect(svc.blobs.keys()).toEqual([]);
  });
});

describe('leaf hashes', () => {
  it('of an archive of more than 8 MiB are kept beside its blob, 32 bytes per MiB', async () => {
    const big = randomBytes(RECORDED_LEAVES_MAX * MiB + 1);
    const { archiveId } = await upload(svc, 'v', big);
    const leaves = svc.blobs.bytes(leavesKey(`${ACCOUNT}/archives/${archiveId}`));
    expect(leaves.length).toBe((RECORDED_LEAVES_MAX + 1) * 32);
    expect(leaves.subarray(32, 64).equals(treeHash(big.subarray(MiB, 2 * MiB)))).toBe(true);
    expect(svc.blobs.hotKeys()).toContain(leavesKey(`${ACCOUNT}/archives/${archiveId}`));
  });

  it('of an archive of more than 1 MiB and at most 8 MiB are kept in its record, with no object beside its blob', async () => {
    const data = randomBytes(2 * MiB + 1);
    const { archiveId } = await upload(svc, 'v', data);
    const blobKey = `${ACCOUNT}/archives/${archiveId}`;
    expect(svc.blobs.keys()).toEqual([blobKey]);
    const record = await svc.metadata.getArchive(ACCOUNT, 'v', archiveId);
    const expected = Buffer.concat([0, 1, 2].map((leaf) => treeHash(data.subarray(leaf * MiB, (leaf + 1) * MiB))));
    expect(record?.layout).toEqual({ kind: 'blob', blobKey, leaves: expected.toString('base64') });
  });

  it('of an archive of 1 MiB or less are not kept: its only range is the whole archive', async () => {
    const small = await upload(svc, 'v', randomBytes(MiB));
    const blobKey = `${ACCOUNT}/archives/${small.archiveId}`;
    expect(svc.blobs.keys()).toEqual([blobKey]);
    expect((await svc.metadata.getArchive(ACCOUNT, 'v', small.archiveId))?.layout).toEqual({ kind: 'blob', blobKey });
  });

  async function retrieveWhole(archiveId: string): Promise<string> {
    const { jobId } = await initiateJob(
      svc,
      ACCOUNT,
      'v',
      parseJobRequest(Buffer.from(JSON.stringify({ Type: 'archive-retrieval', ArchiveId: archiveId, Tier: 'Expedited' }))),
    );
    svc.advance(MEMORY_JOB_DELAYS_MS.Expedited);
    await completeDueJobs(svc);
    return jobId;
  }

  const archiveReads = (key: string) => svc.blobs.reads.filter((read) => read.key === key);

  it('give the tree hash of a MiB-aligned output range before any byte of it is read', async () => {
    const data = randomBytes(5 * MiB + 100);
    const { archiveId } = await upload(svc, 'v', data);
    const jobId = await retrieveWhole(archiveId);
    const blobKey = `${ACCOUNT}/archives/${archiveId}`;
    svc.blobs.reads.length = 0;
    const out = await jobOutput(svc, 'v', jobId, `bytes=${MiB}-${4 * MiB - 1}`);
    expect(out.headers['x-amz-sha256-tree-hash']).toBe(hex(data.subarray(MiB, 4 * MiB)));
    expect(out.headers['content-length']).toBe(String(3 * MiB));
    // The bytes are read once, to be sent: nothing is read for the hash.
    expect(archiveReads(blobKey)).toEqual([{ key: blobKey, range: { start: MiB, end: 4 * MiB - 1 } }]);
    expect(out.body.equals(data.subarray(MiB, 4 * MiB))).toBe(true);

    const tail = await jobOutput(svc, 'v', jobId, `bytes=${4 * MiB}-${data.length - 1}`);
    expect(tail.headers['x-amz-sha256-tree-hash']).toBe(hex(data.subarray(4 * MiB)));
  });

  it("of a multipart archive's parts combine into a range's tree hash across parts", async () => {
    const data = randomBytes(9 * MiB + 5);
    const partSize = 4 * MiB;
    const { uploadId } = await initiateUpload(svc, { accountId: ACCOUNT, vaultName: 'v', partSize: partSize, description: '' });
    for (let start = 0; start < data.length; start += partSize)
      await sendPart(svc, uploadId, start, data.subarray(start, start + partSize));
    const { archiveId } = await completeUpload(svc, {
      accountId: ACCOUNT,
      vaultName: 'v',
      uploadId,
      archiveSize: data.length,
      expectedTreeHash: hex(data),
    });
    const jobId = await retrieveWhole(archiveId);
    svc.blobs.reads.length = 0;
    const out = await jobOutput(svc, 'v', jobId, `bytes=${3 * MiB}-${6 * MiB - 1}`);
    expect(out.headers['x-amz-sha256-tree-hash']).toBe(hex(data.subarray(3 * MiB, 6 * MiB)));
    // The bytes are read once, to be sent: the hash came from the leaves.
    expect(svc.blobs.reads.filter((read) => !read.key.endsWith('.leaves')).map((read) => read.range)).toEqual([
      { start: 3 * MiB, end: 4 * MiB - 1 },
      { start: 0, end: 2 * MiB - 1 },
    ]);
    expect(out.body.equals(data.subarray(3 * MiB, 6 * MiB))).toBe(true);

    const whole = await jobOutput(svc, 'v', jobId);
    expect(whole.status).toBe(200);
    expect(whole.headers['x-amz-sha256-tree-hash']).toBe(hex(data));
    expect(whole.body.equals(data)).toBe(true);
  });

  it('are not needed: an archive stored without them still gets its range tree hashes, from its bytes', async () => {
    const data = randomBytes(RECORDED_LEAVES_MAX * MiB + 9);
    const { archiveId } = await upload(svc, 'v', data);
    await svc.blobs.delete(leavesKey(`${ACCOUNT}/archives/${archiveId}`));
    const jobId = await retrieveWhole(archiveId);
    const out = await jobOutput(svc, 'v', jobId, `bytes=${2 * MiB}-${data.length - 1}`);
    expect(out.headers['x-amz-sha256-tree-hash']).toBe(hex(data.subarray(2 * MiB)));
    expect(out.body.equals(data.subarray(2 * MiB))).toBe(true);
  });

  const alignedRangeJob = async (archiveId: string) => {
    const { jobId } = await initiateJob(
      svc,
      ACCOUNT,
      'v',
      parseJobRequest(
        Buffer.from(
          JSON.stringify({ Type: 'archive-retrieval', ArchiveId: archiveId, Tier: 'Expedited', RetrievalByteRange: `0-${2 * MiB - 1}` }),
        ),
      ),
    );
    svc.advance(MEMORY_JOB_DELAYS_MS.Expedited);
    await completeDueJobs(svc);
    return svc.jobs.getJob(ACCOUNT, 'v', jobId);
  };

  it('give a retrieval job of a tree-hash-aligned range its SHA256TreeHash at completion without reading the archive', async () => {
    const data = randomBytes(RECORDED_LEAVES_MAX * MiB + 1);
    const { archiveId } = await upload(svc, 'v', data);
    svc.blobs.reads.length = 0;
    expect(await alignedRangeJob(archiveId)).toMatchObject({ action: 'ArchiveRetrieval', rangeTreeHash: hex(data.subarray(0, 2 * MiB)) });
    expect(svc.blobs.reads.map((read) => read.key)).toEqual([leavesKey(`${ACCOUNT}/archives/${archiveId}`)]);
  });

  it('kept in the record give that SHA256TreeHash with no read at all', async () => {
    const data = randomBytes(4 * MiB + 1);
    const { archiveId } = await upload(svc, 'v', data);
    svc.blobs.reads.length = 0;
    expect(await alignedRangeJob(archiveId)).toMatchObject({ action: 'ArchiveRetrieval', rangeTreeHash: hex(data.subarray(0, 2 * MiB)) });
    expect(svc.blobs.reads).toEqual([]);
  });
});
