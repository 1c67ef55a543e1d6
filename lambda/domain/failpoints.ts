// Named points between the steps of every write path. Tests make one of them throw to stand
// in for a crash there (nothing after it runs), then check what a retry and the janitor make
// of the state left behind, or hold it there while another request runs. In production no
// handler is set and a point costs one check.

export const FAILPOINTS = [
  // Bytes staged and verified, not yet committed.
  'upload-archive:after-stage',
  'upload-archive:after-blob',
  'upload-archive:after-first-stamp',
  'upload-archive:after-record',
  'upload-archive:after-second-stamp',
  'upload-part:after-stage',
  'upload-part:after-blob',
  'upload-part:after-record',
  'complete-upload:after-reserve',
  'complete-upload:after-segments',
  'complete-upload:after-first-stamp',
  'complete-upload:after-record',
  // Just before the upload is marked completed.
  'complete-upload:after-second-stamp',
  'complete-upload:after-mark-completed',
  'abort-upload:after-mark-aborted',
  'abort-upload:after-blob-deletion',
  'delete-archive:after-schedule',
  'delete-archive:after-tombstone',
  'delete-vault:after-delete',
  'delete-vault:before-chunk-deletion',
  'inventory:after-chunks',
  'inventory:after-commit',
  'inventory:after-schedule-old',
  'job:after-output',
  'job:after-finish',
  'janitor:after-purge-task',
  'janitor:after-abort-idle',
] as const;

export type FailpointName = (typeof FAILPOINTS)[number];

let handler: ((name: FailpointName) => void | Promise<void>) | undefined;

/** Paths that await their points let a test's handler hold them there (another request runs meanwhile). */
export function failpoint(name: FailpointName): void | Promise<void> {
  if (handler) return handler(name);
}

/** Tests only: `onPoint` is called at every point reached, and may throw, or hold the path until its promise settles. */
export function enableFailpoints(onPoint: (name: FailpointName) => void | Promise<void>): void {
  handler = onPoint;
}

export function disableFailpoints(): void {
  handler = undefined;
}
