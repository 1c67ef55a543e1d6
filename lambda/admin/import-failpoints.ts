// Named steps of the import, where tests' process-kill scenarios stop it (as the domain's
// failpoints do for the service): a range of a job's output downloaded and verified; an
// archive's bytes written and not yet recorded. Without a handler a point costs one check.

export const IMPORT_POINTS = ['import:after-range', 'import:after-blob'] as const;

export type ImportPoint = (typeof IMPORT_POINTS)[number];

let handler: ((name: ImportPoint) => void) | undefined;

export function importPoint(name: ImportPoint): void {
  if (handler) handler(name);
}

/** Tests only: SIGKILL the process at the `nth` pass through `name`. */
export function killAtImportPoint(name: ImportPoint, nth: number): void {
  let passes = 0;
  handler = (reached) => {
    if (reached === name && (passes += 1) === nth) process.kill(process.pid, 'SIGKILL');
  };
}
