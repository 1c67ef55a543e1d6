// Retrieval jobs: started (initiate), completed when their time comes or their restores are done
// (completion, restores, sweep), announced (notifications), read back (lookup, output, describe).
export { JOB_EVENTS, JOB_OUTPUT_LIFETIME_MS, RESTORE_DAYS, isTreeHashAligned } from './common';
export { describeJob } from './describe';
export { initiateJob, type JobRequest } from './initiate';
export { getJob, listJobs, type JobFilter } from './lookup';
export { publishLostNotifications } from './notifications';
export { getJobOutput, type JobOutput, type RangeOf } from './output';
export { restoreCompleted } from './restores';
export { completeDueJobs, sweepJobs } from './sweep';
