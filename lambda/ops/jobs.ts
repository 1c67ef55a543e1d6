import { describeJob, getJob, getJobOutput, initiateJob, listJobs, type JobOutput, type RangeOf } from '../domain/jobs';
import { jobLocation } from './locations';
import { parseJobFilter, parseJobRequest, parseRangeHeader } from './job-parameters';
import { limitParam, type OpResult, type Operation } from './operation';

export const DEFAULT_JOB_LIST_LIMIT = 50;

export const InitiateJob: Operation<'InitiateJob'> = async ({ svc, accountId, params, request }) => {
  const { jobId } = await initiateJob(svc, accountId, params.vaultName, parseJobRequest(await request.body.read()));
  return { headers: { location: jobLocation(accountId, params.vaultName, jobId), 'x-amz-job-id': jobId } };
};

export const DescribeJob: Operation<'DescribeJob'> = async ({ svc, accountId, params }) => ({
  json: describeJob(svc, await getJob(svc, accountId, params.vaultName, params.jobId)),
});

export const ListJobs: Operation<'ListJobs'> = async (ctx) => {
  const { query } = ctx.request;
  const { jobs, marker } = await listJobs(ctx.svc, ctx.accountId, ctx.params.vaultName, {
    filter: parseJobFilter(query),
    marker: query.marker,
    limit: limitParam(ctx, DEFAULT_JOB_LIST_LIMIT),
  });
  return { json: { JobList: jobs.map((job) => describeJob(ctx.svc, job)), Marker: marker ?? null } };
};

const CONTENT_TYPES: Record<JobOutput['kind'], string> = { archive: 'application/octet-stream', JSON: 'application/json', CSV: 'text/csv' };

/** GetJobOutput's answer: 200 for the whole output, 206 for a range, with its length, range and checksum headers. */
export function jobOutputResponse(
  output: JobOutput,
  rangeHeader: string | undefined,
): Required<Pick<OpResult, 'status' | 'headers' | 'body'>> {
  const { start, end } = output.range;
  const headers: Record<string, string> = {
    'content-type': CONTENT_TYPES[output.kind],
    'content-length': String(end - start + 1),
    'accept-ranges': 'bytes',
  };
  if (rangeHeader !== undefined) headers['content-range'] = `bytes ${start}-${end}/${output.total}`;
  if (output.treeHash) headers['x-amz-sha256-tree-hash'] = output.treeHash;
  if (output.archiveDescription) headers['x-amz-archive-description'] = output.archiveDescription;
  return { status: rangeHeader === undefined ? 200 : 206, headers, body: output.body };
}

/** The Range header, resolved against the output's size once it is known. */
export const rangeOf = (rangeHeader: string | undefined): RangeOf | undefined =>
  rangeHeader === undefined ? undefined : (total: number) => parseRangeHeader(rangeHeader, total);

export const GetJobOutput: Operation<'GetJobOutput'> = async ({ svc, accountId, params, request }) => {
  // Glacier's own GetJobOutput example sends range "" and gets the whole output: empty is not given.
  const rangeHeader = request.headers.range === '' ? undefined : request.headers.range;
  const output = await getJobOutput(svc, accountId, params.vaultName, params.jobId, rangeOf(rangeHeader));
  return jobOutputResponse(output, rangeHeader);
};
