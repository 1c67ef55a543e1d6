// The Location headers the operations answer with: built from the IDs the domain returns.
import { createHash } from 'node:crypto';
import { treeHash } from '../../lambda/domain/checksums';
import { createVault } from '../../lambda/domain/vaults';
import { bufferedBody } from '../../lambda/http/request-body';
import { ALL_ROUTES, type AnyOperationName, type ParamsOf } from '../../lambda/http/routes';
import { OPERATIONS } from '../../lambda/ops';
import type { OpContext, OpResult } from '../../lambda/ops/operation';
import { memoryServices, type MemoryServices } from '../support/memory-stores';
import { ACCOUNT, sendPart } from '../support/domain-helpers';

const MiB = 1024 * 1024;
let svc: MemoryServices;

beforeEach(async () => {
  svc = memoryServices();
  await createVault(svc, ACCOUNT, 'v');
});

function context<Name extends AnyOperationName>(
  name: Name,
  params: ParamsOf<Name>,
  headers: Record<string, string> = {},
  body = Buffer.alloc(0),
): OpContext<Name> {
  const route = ALL_ROUTES.find((candidate) => candidate.operation === name);
  if (!route) throw new Error(`No route for ${name}`);
  const sha256 = createHash('sha256').update(body).digest('hex');
  return {
    svc,
    route,
    params,
    accountId: ACCOUNT,
    request: {
      method: route.method,
      path: route.path,
      signedPath: route.path,
      query: {},
      headers: { 'x-amz-content-sha256': sha256, ...headers },
      repeatedHeaders: [],
      body: bufferedBody(body, sha256),
    },
  };
}

const headersOf = (result: OpResult | void) => (result ? result.headers : undefined) ?? {};
const vault = { accountId: ACCOUNT, vaultName: 'v' };

it('CreateVault answers the vault as Location', async () => {
  const result = await OPERATIONS.CreateVault(context('CreateVault', { accountId: ACCOUNT, vaultName: 'made' }));
  expect(headersOf(result)).toEqual({ location: `/${ACCOUNT}/vaults/made` });
});

it('UploadArchive answers the archive as Location', async () => {
  const body = Buffer.from('the archive body');
  const hash = treeHash(body).toString('hex');
  const result = await OPERATIONS.UploadArchive(context('UploadArchive', vault, { 'x-amz-sha256-tree-hash': hash }, body));
  const archiveId = headersOf(result)['x-amz-archive-id'];
  expect(headersOf(result)).toEqual({
    location: `/${ACCOUNT}/vaults/v/archives/${archiveId}`,
    'x-amz-archive-id': expect.stringMatching(/^[\w-]{138}$/),
    'x-amz-sha256-tree-hash': hash,
  });
});

it('InitiateMultipartUpload and CompleteMultipartUpload answer the upload, then the archive, as Location', async () => {
  const initiated = headersOf(
    await OPERATIONS.InitiateMultipartUpload(context('InitiateMultipartUpload', vault, { 'x-amz-part-size': String(MiB) })),
  );
  const uploadId = initiated['x-amz-multipart-upload-id'];
  expect(initiated).toEqual({ location: `/${ACCOUNT}/vaults/v/multipart-uploads/${uploadId}`, 'x-amz-multipart-upload-id': uploadId });

  const data = Buffer.from('one short part');
  await sendPart(svc, uploadId, 0, data);
  const hash = treeHash(data).toString('hex');
  const completed = headersOf(
    await OPERATIONS.CompleteMultipartUpload(
      context(
        'CompleteMultipartUpload',
        { ...vault, uploadId },
        { 'x-amz-archive-size': String(data.length), 'x-amz-sha256-tree-hash': hash },
      ),
    ),
  );
  const archiveId = completed['x-amz-archive-id'];
  expect(completed).toEqual({
    location: `/${ACCOUNT}/vaults/v/archives/${archiveId}`,
    'x-amz-archive-id': expect.stringMatching(/^[\w-]{138}$/),
    'x-amz-sha256-tree-hash': hash,
  });
});

it('InitiateJob answers the job as Location', async () => {
  const body = Buffer.from('archived');
  const uploaded = headersOf(
    await OPERATIONS.UploadArchive(context('UploadArchive', vault, { 'x-amz-sha256-tree-hash': treeHash(body).toString('hex') }, body)),
  );
  const request = Buffer.from(JSON.stringify({ Type: 'archive-retrieval', ArchiveId: uploaded['x-amz-archive-id'] }));
  const result = headersOf(await OPERATIONS.InitiateJob(context('InitiateJob', vault, {}, request)));
  const jobId = result['x-amz-job-id'];
  expect(result).toEqual({
    location: `/${ACCOUNT}/vaults/v/jobs/${jobId}`,
    'x-amz-job-id': expect.stringMatching(/^[0-9a-f]{12}[\w-]{80}$/),
  });
});
