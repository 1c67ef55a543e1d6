import { describeJob, getJob, getJobOutput, initiateJob, listJobs } from '../domain/jobs';
import { limitParam, type Operation } from './operation';

export const DEFAULT_JOB_LIST_LIMIT = 50;

export const InitiateJob: Operation = async ({ svc, accountId, params, request }) => {
  const { jobId, location } = await initiateJob(svc, accountId, params.vaultName, await request.body.read());
  return { headers: { location, 'x-amz-job-id': jobId } };
};

export const DescribeJob: Operation = async ({ svc, accountId, params }) => ({
  json: describeJob(svc, await getJob(svc, accountId, params.vaultName, params.jobId)),
});

export const ListJobs: Operation = async (ctx) => {
  const { query } = ctx.request;
  const { jobs, marker } = await listJobs(ctx.svc, ctx.accountId, ctx.params.vaultName, {
    completed: query.completed,
    statuscode: query.statuscode,
    marker: query.marker,
    limit: limitParam(ctx, DEFAULT_JOB_LIST_LIMIT),
  });
  return { json: { JobList: jobs.map((job) => describeJob(ctx.svc, job)), Marker: marker ?? null } };
};

export const GetJobOutput: Operation = async ({ svc, accountId, params, request }) => {
  const output = await getJobOutput(svc, accountId, params.vaultName, params.jobId, request.headers.range);
  return { status: output.status, headers: { ...output.headers, 'content-type': output.contentType }, body: output.body };
};
