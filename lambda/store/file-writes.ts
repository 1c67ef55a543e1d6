// The write side of the file blob store. Each asynchronous file system call is a hand-off to
// libuv's thread pool and back, which costs more CPU than the call itself for the quick ones:
// opening, closing and renaming run on the calling thread; only what waits on the disk goes to
// the pool: writes, a MiB at a time, and fsyncs, shared by the callers of one directory's.
import { closeSync, fsync, openSync, writev } from 'node:fs';
import { promisify } from 'node:util';
import { Writable } from 'node:stream';
import { MiB } from '../domain/checksums';

const fsyncAsync = promisify(fsync);
const writevAsync = promisify(writev);

/** Bytes a file sink gathers before it writes them: one call per MiB, not one per socket chunk. */
const WRITE_BATCH_BYTES = MiB;

/** Writes into an open file, at most `size` bytes, gathering chunks into writes of a MiB or more. */
export class FileSink extends Writable {
  written = 0;
  private gathered: Buffer[] = [];
  private gatheredBytes = 0;

  constructor(
    private readonly fd: number,
    private readonly size: number,
  ) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.written + this.gatheredBytes + chunk.length > this.size) {
      callback(new Error(`The body holds more than the ${this.size} bytes expected.`));
      return;
    }
    this.gathered.push(chunk);
    this.gatheredBytes += chunk.length;
    if (this.gatheredBytes < WRITE_BATCH_BYTES) callback();
    else this.flush().then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.flush().then(() => callback(), callback);
  }

  private async flush(): Promise<void> {
    let rest = this.gathered;
    const bytes = this.gatheredBytes;
    this.gathered = [];
    this.gatheredBytes = 0;
    // A short write (rare on a file) goes on from where it stopped.
    while (rest.length > 0) {
      let done = (await writevAsync(this.fd, rest)).bytesWritten;
      const left: Buffer[] = [];
      for (const buffer of rest) {
        if (done >= buffer.length) done -= buffer.length;
        else {
          left.push(done > 0 ? buffer.subarray(done) : buffer);
          done = 0;
        }
      }
      rest = left;
    }
    this.written += bytes;
  }
}

export const fsyncFile = (fd: number): Promise<void> => fsyncAsync(fd);

async function syncDirNow(path: string): Promise<void> {
  const fd = openSync(path, 'r');
  try {
    await fsyncAsync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * fsyncs of directories (which make renames and new entries in them durable). A caller waits for
 * an fsync that starts after its call: it joins one not started yet, or queues one behind the
 * fsync running, which may have started before the caller's rename.
 */
export class DirectorySyncs {
  private readonly queued = new Map<string, Promise<void>>();
  private readonly running = new Map<string, Promise<void>>();

  constructor(private readonly syncNow: (path: string) => Promise<void> = syncDirNow) {}

  sync(path: string): Promise<void> {
    const queued = this.queued.get(path);
    if (queued) return queued;
    const before = this.running.get(path) ?? Promise.resolve();
    const next = before
      .catch(() => undefined)
      .then(() => {
        this.queued.delete(path);
        const run = this.syncNow(path);
        this.running.set(path, run);
        return run.finally(() => {
          if (this.running.get(path) === run) this.running.delete(path);
        });
      });
    this.queued.set(path, next);
    return next;
  }
}
