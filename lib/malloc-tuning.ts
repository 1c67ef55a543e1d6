/**
 * glibc's allocator keeps freed memory for reuse instead of handing it back to the system at once
 * (its default for blocks over 128 KiB): the megabytes a data request allocates are then reused by
 * the next, not faulted in afresh, page by page. Measured with `npm run bench -- --only lambda-cpu`:
 * a quarter less handler CPU per GiB of GetJobOutput. Functions and the data plane's tasks run alone in
 * their memory, so what is kept is theirs to keep.
 */
export const MALLOC_TUNING = { GLIBC_TUNABLES: 'glibc.malloc.trim_threshold=268435456:glibc.malloc.mmap_threshold=33554432' };
