// Every operation of the service model, through GlacierClient against the local server: the
// HTTP status is the model's, and both the deserialised output and the raw JSON body have the
// model's output shape.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  AbortVaultLockCommand,
  AddTagsToVaultCommand,
  CompleteMultipartUploadCommand,
  CompleteVaultLockCommand,
  CreateVaultCommand,
  DeleteArchiveCommand,
  DeleteVaultAccessPolicyCommand,
  DeleteVaultCommand,
  DeleteVaultNotificationsCommand,
  DescribeJobCommand,
  DescribeVaultCommand,
  GetDataRetrievalPolicyCommand,
  GetJobOutputCommand,
  GetVaultAccessPolicyCommand,
  GetVaultLockCommand,
  GetVaultNotificationsCommand,
  GlacierClient,
  InitiateJobCommand,
  InitiateMultipartUploadCommand,
  InitiateVaultLockCommand,
  ListJobsCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  ListProvisionedCapacityCommand,
  ListTagsForVaultCommand,
  ListVaultsCommand,
  PurchaseProvisionedCapacityCommand,
  RemoveTagsFromVaultCommand,
  SetDataRetrievalPolicyCommand,
  SetVaultAccessPolicyCommand,
  SetVaultNotificationsCommand,
  UploadArchiveCommand,
  UploadMultipartPartCommand,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-glacier';
import type { Command } from '@smithy/types';
import { MiB, treeHash } from '../../lambda/domain/checksums';
import { ROOT_CREDENTIALS, startTestServer, type TestServer } from '../support/local-server';
import { ACCOUNT } from '../support/accounts';

// The service model sits beside the repository, in the shared reference folder.
const MODEL_PATH = path.resolve(__dirname, '../fixtures/glacier-2012-06-01/service-2.json');

interface MemberRef {
  shape: string;
  location?: string;
}
interface Shape {
  type: string;
  members?: Record<string, MemberRef>;
  member?: MemberRef;
  value?: MemberRef;
  payload?: string;
}
interface Model {
  operations: Record<string, { name: string; http: { responseCode?: number }; output?: { shape: string } }>;
  shapes: Record<string, Shape>;
}

const model = JSON.parse(readFileSync(MODEL_PATH, 'utf8')) as Model;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * What is wrong with `value` as an instance of the shape `shapeName` (empty when nothing).
 * `raw`: a value of the JSON body, where null stands for an absent member.
 */
function shapeProblems(shapeName: string, value: unknown, where: string, raw: boolean, memberName = ''): string[] {
  const shape = model.shapes[shapeName];
  if (raw && value === null) return [];
  const wrong = (expected: string) => [`${where}: expected ${expected} (${shapeName}), got ${JSON.stringify(value)}`];
  switch (shape.type) {
    case 'string':
      if (typeof value !== 'string') return wrong('a string');
      // The model types dates as strings, documented as ISO 8601.
      return memberName.endsWith('Date') && !ISO_DATE.test(value) ? wrong('an ISO 8601 date') : [];
    case 'timestamp':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? [] : wrong('a date string');
    case 'long':
    case 'integer':
      return Number.isSafeInteger(value) ? [] : wrong('an integer');
    case 'boolean':
      return typeof value === 'boolean' ? [] : wrong('a boolean');
    case 'blob':
      return value instanceof Uint8Array || (isObject(value) && typeof value.transformToByteArray === 'function') ? [] : wrong('a blob');
    case 'list':
      if (!Array.isArray(value)) return wrong('a list');
      return value.flatMap((item, i) => shapeProblems(shape.member!.shape, item, `${where}[${i}]`, raw));
    case 'map':
      if (!isObject(value)) return wrong('a map');
      return Object.entries(value).flatMap(([key, item]) => shapeProblems(shape.value!.shape, item, `${where}.${key}`, raw));
    case 'structure': {
      if (!isObject(value)) return wrong('a structure');
      const members = shape.members ?? {};
      return Object.entries(value).flatMap(([key, item]) =>
        members[key] ? shapeProblems(members[key].shape, item, `${where}.${key}`, raw, key) : [`${where}: unexpected member ${key}`],
      );
    }
    default:
      return [`${where}: shape type ${shape.type} is not checked`];
  }
}

interface RawResponse {
  body: Buffer;
}

/** The raw body against the model: JSON of the body members (or of a structure payload), else empty. */
function rawBodyProblems(outputShape: Shape, raw: RawResponse): string[] {
  const members = outputShape.members ?? {};
  const payload = outputShape.payload && members[outputShape.payload];
  if (payload && model.shapes[payload.shape].type === 'blob') return [];
  const bodyMembers = Object.entries(members).filter(([, member]) => member.location === undefined);
  if (!payload && bodyMembers.length === 0) return raw.body.length === 0 ? [] : [`body: expected none, got ${raw.body.toString('utf8')}`];
  let json: unknown;
  try {
    json = JSON.parse(raw.body.toString('utf8'));
  } catch {
    return [`body: not JSON: ${raw.body.toString('utf8')}`];
  }
  if (payload) return shapeProblems(payload.shape, json, 'body', true);
  if (!isObject(json)) return [`body: expected a JSON object, got ${raw.body.toString('utf8')}`];
  return Object.entries(json).flatMap(([key, item]) => {
    const member = members[key];
    return member && member.location === undefined
      ? shapeProblems(member.shape, item, `body.${key}`, true, key)
      : [`body: unexpected member ${key}`];
  });
}

let server: TestServer;
let glacier: GlacierClient;
let lastRaw: RawResponse | undefined;
const exercised = new Set<string>();

interface Expectation {
  /** Output members the operation leaves out in this scenario; every other member must be there. */
  absent?: string[];
  /** The status when the scenario calls for another one than the model's (206 for a range). */
  status?: number;
}

/** Sends `command` and checks its status and output against the model. */
async function call<I extends ServiceInputTypes, O extends ServiceOutputTypes>(
  command: Command<ServiceInputTypes, I, ServiceOutputTypes, O, never>,
  { absent = [], status }: Expectation = {},
): Promise<O> {
  const name = command.constructor.name.replace(/Command$/, '');
  const operation = model.operations[name];
  if (!operation) throw new Error(`${name} is not an operation of the model`);
  exercised.add(name);
  lastRaw = undefined;
  const output = await glacier.send(command);

  expect(output.$metadata.httpStatusCode).toBe(status ?? operation.http.responseCode ?? 200);
  const outputShape: Shape = operation.output ? model.shapes[operation.output.shape] : { type: 'structure', members: {} };
  const members = outputShape.members ?? {};
  const rest: Record<string, unknown> = { ...output };
  delete rest.$metadata;
  const problems = operation.output
    ? shapeProblems(operation.output.shape, rest, name, false)
    : Object.keys(rest).map((key) => `${name}: unexpected member ${key}`);
  for (const [member, ref] of Object.entries(members)) {
    if (!['header', 'statusCode', undefined].includes(ref.location)) continue;
    const present = rest[member] !== undefined;
    if (present === absent.includes(member)) problems.push(`${name}: ${member} is ${present ? 'present' : 'missing'}`);
  }
  if (!lastRaw) throw new Error('the raw response was not recorded');
  problems.push(...rawBodyProblems(outputShape, lastRaw));
  expect(problems).toEqual([]);
  return output;
}

const VAULT = 'conformance';
const LOCKED_VAULT = 'conformance-locked';
const vaultArn = (name: string) => `arn:aws:glacier:us-east-1:${ACCOUNT}:vaults/${name}`;
const hex = (data: Uint8Array) => treeHash(data).toString('hex');
const single = randomBytes(3 * MiB + 100);
const multipart = randomBytes(2 * MiB + 17);
let archiveId: string;
let multipartArchiveId: string;

beforeAll(async () => {
  server = await startTestServer({ COLDVAULT_JOB_DELAY_SECONDS: '0' });
  glacier = new GlacierClient({ endpoint: server.url, region: server.config.region, credentials: ROOT_CREDENTIALS, maxAttempts: 1 });
  // Innermost: sees the HTTP response before the deserialiser, and hands it a copy of the body.
  glacier.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const response = result.response as { body?: Readable };
      const chunks: Buffer[] = [];
      for await (const chunk of response.body ?? []) chunks.push(Buffer.from(chunk as Uint8Array));
      lastRaw = { body: Buffer.concat(chunks) };
      response.body = Readable.from([lastRaw.body]);
      return result;
    },
    { step: 'deserialize', priority: 'low', name: 'recordRawResponse' },
  );
});
afterAll(() => server.destroy());

describe('every operation answers the model status and output shape', () => {
  it('account settings: data retrieval policy and provisioned capacity', async () => {
    await call(new SetDataRetrievalPolicyCommand({ accountId: '-', Policy: { Rules: [{ Strategy: 'None' }] } }));
    const policy = await call(new GetDataRetrievalPolicyCommand({ accountId: '-' }));
    expect(policy.Policy).toEqual({ Rules: [{ Strategy: 'None' }] });
    const { capacityId } = await call(new PurchaseProvisionedCapacityCommand({ accountId: '-' }));
    const listed = await call(new ListProvisionedCapacityCommand({ accountId: '-' }));
    expect(listed.ProvisionedCapacityList?.map((unit) => unit.CapacityId)).toEqual([capacityId]);
    expect(Object.keys(listed.ProvisionedCapacityList![0]).sort()).toEqual(['CapacityId', 'ExpirationDate', 'StartDate']);
  });

  it('vaults and single uploads', async () => {
    const created = await call(new CreateVaultCommand({ accountId: '-', vaultName: VAULT }));
    expect(created.location).toBe(`/${ACCOUNT}/vaults/${VAULT}`);
    // Before the first inventory Glacier answers 0 archives of 0 bytes and no inventory date
    // (the model's DescribeVault example).
    const fresh = await call(new DescribeVaultCommand({ accountId: '-', vaultName: VAULT }), { absent: ['LastInventoryDate'] });
    expect([fresh.NumberOfArchives, fresh.SizeInBytes]).toEqual([0, 0]);
    expect(JSON.parse(lastRaw!.body.toString())).toMatchObject({ NumberOfArchives: 0, SizeInBytes: 0 });
    const freshList = await call(new ListVaultsCommand({ accountId: '-' }), { absent: ['Marker'] });
    expect(freshList.VaultList).toEqual([expect.objectContaining({ VaultName: VAULT, NumberOfArchives: 0, SizeInBytes: 0 })]);
    expect(freshList.VaultList![0]).not.toHaveProperty('LastInventoryDate');

    const uploaded = await call(new UploadArchiveCommand({ accountId: '-', vaultName: VAULT, archiveDescription: 'single', body: single }));
    expect(uploaded.checksum).toBe(hex(single));
    archiveId = uploaded.archiveId!;
    expect(uploaded.location).toBe(`/${ACCOUNT}/vaults/${VAULT}/archives/${archiveId}`);

    await server.runInventory();
    const described = await call(new DescribeVaultCommand({ accountId: '-', vaultName: VAULT }));
    expect([described.VaultARN, described.NumberOfArchives, described.SizeInBytes]).toEqual([vaultArn(VAULT), 1, single.length]);
    const vaults = await call(new ListVaultsCommand({ accountId: '-' }), { absent: ['Marker'] });
    expect(vaults.VaultList).toEqual([
      expect.objectContaining({ VaultName: VAULT, NumberOfArchives: 1, LastInventoryDate: described.LastInventoryDate }),
    ]);
  });

  it('multipart uploads', async () => {
    const { uploadId } = await call(
      new InitiateMultipartUploadCommand({ accountId: '-', vaultName: VAULT, partSize: String(MiB), archiveDescription: 'multipart' }),
    );
    for (let start = 0; start < multipart.length; start += MiB) {
      const part = multipart.subarray(start, start + MiB);
      const sent = await call(
        new UploadMultipartPartCommand({
          accountId: '-',
          vaultName: VAULT,
          uploadId,
          range: `bytes ${start}-${start + part.length - 1}/*`,
          body: part,
        }),
      );
      expect(sent.checksum).toBe(hex(part));
    }
    const parts = await call(new ListPartsCommand({ accountId: '-', vaultName: VAULT, uploadId }), { absent: ['Marker'] });
    expect(parts.Parts).toHaveLength(3);
    const uploads = await call(new ListMultipartUploadsCommand({ accountId: '-', vaultName: VAULT }), { absent: ['Marker'] });
    expect(uploads.UploadsList?.map((upload) => upload.MultipartUploadId)).toEqual([uploadId]);
    const completed = await call(
      new CompleteMultipartUploadCommand({
        accountId: '-',
        vaultName: VAULT,
        uploadId,
        archiveSize: String(multipart.length),
        checksum: hex(multipart),
      }),
    );
    multipartArchiveId = completed.archiveId!;
    expect(completed.checksum).toBe(hex(multipart));

    const aborted = await call(new InitiateMultipartUploadCommand({ accountId: '-', vaultName: VAULT, partSize: String(MiB) }));
    await call(new AbortMultipartUploadCommand({ accountId: '-', vaultName: VAULT, uploadId: aborted.uploadId }));
  });

  it('vault notifications', async () => {
    const config = { SNSTopic: `arn:aws:sns:us-east-1:${ACCOUNT}:conformance`, Events: ['ArchiveRetrievalCompleted'] };
    await call(new SetVaultNotificationsCommand({ accountId: '-', vaultName: VAULT, vaultNotificationConfig: config }));
    const got = await call(new GetVaultNotificationsCommand({ accountId: '-', vaultName: VAULT }));
    expect(got.vaultNotificationConfig).toEqual(config);
    await call(new DeleteVaultNotificationsCommand({ accountId: '-', vaultName: VAULT }));
  });

  it('archive and inventory retrieval jobs', async () => {
    const topic = `arn:aws:sns:us-east-1:${ACCOUNT}:conformance-job`;
    const retrieval = await call(
      new InitiateJobCommand({
        accountId: '-',
        vaultName: VAULT,
        jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId, Tier: 'Expedited', SNSTopic: topic, Description: 'conformance' },
      }),
      { absent: ['jobOutputPath'] },
    );
    const forInventory = ['InventorySizeInBytes', 'InventoryRetrievalParameters'];
    const forSelect = ['JobOutputPath', 'SelectParameters', 'OutputLocation'];
    const job = await call(new DescribeJobCommand({ accountId: '-', vaultName: VAULT, jobId: retrieval.jobId }), {
      absent: [...forInventory, ...forSelect],
    });
    expect([job.Completed, job.StatusCode, job.SHA256TreeHash]).toEqual([true, 'Succeeded', hex(single)]);

    const whole = await call(new GetJobOutputCommand({ accountId: '-', vaultName: VAULT, jobId: retrieval.jobId }), {
      absent: ['contentRange'],
    });
    expect(Buffer.from(await whole.body!.transformToByteArray()).equals(single)).toBe(true);
    const ranged = await call(
      new GetJobOutputCommand({ accountId: '-', vaultName: VAULT, jobId: retrieval.jobId, range: `bytes=0-${MiB - 1}` }),
      {
        status: 206,
      },
    );
    expect(Buffer.from(await ranged.body!.transformToByteArray()).equals(single.subarray(0, MiB))).toBe(true);
    expect([ranged.contentRange, ranged.checksum]).toEqual([`bytes 0-${MiB - 1}/${single.length}`, hex(single.subarray(0, MiB))]);

    await server.runInventory();
    const inventory = await call(
      new InitiateJobCommand({
        accountId: '-',
        vaultName: VAULT,
        jobParameters: { Type: 'inventory-retrieval', Format: 'JSON', Description: 'inventory' },
      }),
      { absent: ['jobOutputPath'] },
    );
    // Tier stays: every job has one here, it decides how long the job takes.
    const forArchive = ['ArchiveId', 'ArchiveSizeInBytes', 'SHA256TreeHash', 'ArchiveSHA256TreeHash', 'RetrievalByteRange', 'Tier'];
    const inventoryJob = await call(new DescribeJobCommand({ accountId: '-', vaultName: VAULT, jobId: inventory.jobId }), {
      absent: [...forArchive, 'SNSTopic', ...forSelect],
    });
    expect(inventoryJob.InventoryRetrievalParameters?.Format).toBe('JSON');
    const output = await call(new GetJobOutputCommand({ accountId: '-', vaultName: VAULT, jobId: inventory.jobId }), {
      absent: ['checksum', 'contentRange', 'archiveDescription'],
    });
    const listed = JSON.parse(Buffer.from(await output.body!.transformToByteArray()).toString('utf8')) as {
      ArchiveList: { ArchiveId: string }[];
    };
    expect(listed.ArchiveList.map((archive) => archive.ArchiveId).sort()).toEqual([archiveId, multipartArchiveId].sort());

    const jobs = await call(new ListJobsCommand({ accountId: '-', vaultName: VAULT }), { absent: ['Marker'] });
    expect(jobs.JobList?.map((listedJob) => listedJob.JobId)).toEqual([retrieval.jobId, inventory.jobId]);
  });

  it('tags', async () => {
    await call(new AddTagsToVaultCommand({ accountId: '-', vaultName: VAULT, Tags: { owner: 'conformance', empty: '' } }));
    expect((await call(new ListTagsForVaultCommand({ accountId: '-', vaultName: VAULT }))).Tags).toEqual({
      owner: 'conformance',
      empty: '',
    });
    await call(new RemoveTagsFromVaultCommand({ accountId: '-', vaultName: VAULT, TagKeys: ['owner', 'empty'] }));
  });

  it('vault access policy', async () => {
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::210987654321:root' },
          Action: 'glacier:DescribeVault',
          Resource: vaultArn(VAULT),
        },
      ],
    });
    await call(new SetVaultAccessPolicyCommand({ accountId: '-', vaultName: VAULT, policy: { Policy: policy } }));
    expect((await call(new GetVaultAccessPolicyCommand({ accountId: '-', vaultName: VAULT }))).policy).toEqual({ Policy: policy });
    await call(new DeleteVaultAccessPolicyCommand({ accountId: '-', vaultName: VAULT }));
  });

  it('vault lock: initiate, get, abort; initiate, complete', async () => {
    const lockPolicy = (vaultName: string) =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Deny',
            Principal: '*',
            Action: 'glacier:DeleteArchive',
            Resource: vaultArn(vaultName),
            Condition: { NumericLessThan: { 'glacier:ArchiveAgeInDays': '1' } },
          },
        ],
      });
    await call(new InitiateVaultLockCommand({ accountId: '-', vaultName: VAULT, policy: { Policy: lockPolicy(VAULT) } }));
    const lock = await call(new GetVaultLockCommand({ accountId: '-', vaultName: VAULT }));
    expect([lock.State, lock.Policy]).toEqual(['InProgress', lockPolicy(VAULT)]);
    await call(new AbortVaultLockCommand({ accountId: '-', vaultName: VAULT }));

    // Locked for good: a vault of its own, never deleted.
    await call(new CreateVaultCommand({ accountId: '-', vaultName: LOCKED_VAULT }));
    const { lockId } = await call(
      new InitiateVaultLockCommand({ accountId: '-', vaultName: LOCKED_VAULT, policy: { Policy: lockPolicy(LOCKED_VAULT) } }),
    );
    await call(new CompleteVaultLockCommand({ accountId: '-', vaultName: LOCKED_VAULT, lockId }));
    expect((await call(new GetVaultLockCommand({ accountId: '-', vaultName: LOCKED_VAULT }))).State).toBe('Locked');
  });

  it('deleting archives, then the vault', async () => {
    await call(new DeleteArchiveCommand({ accountId: '-', vaultName: VAULT, archiveId }));
    await call(new DeleteArchiveCommand({ accountId: '-', vaultName: VAULT, archiveId: multipartArchiveId }));
    await server.runInventory();
    await call(new DeleteVaultCommand({ accountId: '-', vaultName: VAULT }));
  });

  it('exercised exactly the operations of the model', () => {
    expect([...exercised].sort()).toEqual(Object.keys(model.operations).sort());
  });
});
