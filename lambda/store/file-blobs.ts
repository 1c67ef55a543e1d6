// Blobs as files in the data directory. A blob is written to a temporary file as it streams in,
// synced, and only then renamed under its key (and the directory synced): a blob under its key is
// always whole, and a crash leaves at most a temporary file, which the next start removes.
import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, readdir, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MiB } from '../domain/checksums';
import type { BlobStore, RestoreState, RestoreStatus, StagedBlob, Tier } from '../domain/ports';

/** Where staged blobs wait for their commit, inside the blobs directory (so a rename never crosses file systems). */
const STAGING_DIR = 'staging';
/** Bytes a blob's write stream holds before it pushes back on the body: the most one writev carries. */
const WRITE_BATCH_BYTES = MiB;

// A key's segments become directories ("d" + encoded segment) and its last one a file ("f" + ...):
// no key can name a path outside the blobs directory, and a key can be both a blob and a prefix.
const segmentName = (segment: string, kind: 'd' | 'f') => kind + encodeURIComponent(segment).replace(/\./g, '%2E');
const segmentOf = (name: string) => decodeURIComponent(name.slice(1));

function notFound(key: string): Error {
  return Object.assign(new Error(`No blob ${key}`), { name: 'NoSuchKey' });
}

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

async function syncDir(path: string): Promise<void> {
  const dir = await open(path, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/**
 * Writes into a file, at most `size` bytes. The chunks that arrive while a write is in flight go
 * out together in one writev: a socket's 64 KiB chunks would otherwise cost a system call each.
 */
class FileSink extends Writable {
  written = 0;

  constructor(
    private readonly file: FileHandle,
    private readonly size: number,
  ) {
    super({ highWaterMark: WRITE_BATCH_BYTES });
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.writeAll(chunks.map(({ chunk }) => chunk)).then(() => callback(), callback);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writeAll([chunk]).then(() => callback(), callback);
  }

  private async writeAll(buffers: Buffer[]): Promise<void> {
    const bytes = buffers.reduce((sum, buffer) => sum + buffer.length, 0);
    if (this.written + bytes > this.size) throw new Error(`The body holds more than the ${this.size} bytes expected.`);
    let done = (await this.file.writev(buffers)).bytesWritten;
    // A short write (rare on a file) goes on from where it stopped.
    for (const buffer of buffers) {
      if (done >= buffer.length) {
        done -= buffer.length;
        continue;
      }
      for (let offset = done; offset < buffer.length;) offset += (await this.file.write(buffer, offset)).bytesWritten;
      done = 0;
    }
    this.written += bytes;
  }
}

export class FileBlobStore implements BlobStore {
  private readonly staging: string;

  constructor(private readonly root: string) {
    this.staging = join(root, STAGING_DIR);
  }

  /** Creates the directories and removes blobs staged and never committed by an earlier process (one that died). */
  async open(): Promise<this> {
    await rm(this.staging, { recursive: true, force: true });
    await mkdir(this.staging, { recursive: true, mode: 0o700 });
    return this;
  }

  pathOf(key: string): string {
    const segments = key.split('/');
    const last = segments.pop() as string;
    return join(this.root, ...segments.map((segment) => segmentName(segment, 'd')), segmentName(last, 'f'));
  }

  async stage(key: string, body: Readable, options: { size: number; sha256?: Buffer; hot?: boolean }): Promise<StagedBlob> {
    // An error the body meets before it is read (the client went away) is read as its end, below.
    const ignore = () => undefined;
    body.on('error', ignore);
    const temp = join(this.staging, `${randomBytes(12).toString('hex')}.tmp`);
    let file: FileHandle;
    try {
      file = await open(temp, 'wx', 0o600);
    } catch (error) {
      body.destroy();
      throw error;
    } finally {
      body.off('error', ignore);
    }
    try {
      await this.writeAll(file, body, options.size);
      await file.sync();
    } catch (error) {
      await file.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
      body.destroy();
      throw error;
    }
    await file.close();
    return this.staged(key, temp);
  }

  private async writeAll(file: FileHandle, body: Readable, size: number): Promise<void> {
    const sink = new FileSink(file, size);
    await pipeline(body, sink);
    if (sink.written !== size) throw new Error(`The body held ${sink.written} bytes, not the ${size} expected.`);
  }

  private staged(key: string, temp: string): StagedBlob {
    const path = this.pathOf(key);
    let state: 'staged' | 'committed' | 'discarded' = 'staged';
    return {
      commit: async () => {
        if (state !== 'staged') {
          if (state === 'discarded') throw new Error(`The staged blob ${key} was discarded`);
          return;
        }
        await this.ensureDir(dirname(path));
        try {
          await rename(temp, path);
        } catch (error) {
          // A delete emptied and removed the directory in between: make it again.
          if (!isMissing(error)) throw error;
          await this.ensureDir(dirname(path));
          await rename(temp, path);
        }
        await syncDir(dirname(path));
        state = 'committed';
      },
      discard: async () => {
        if (state === 'committed') await this.delete(key);
        else await unlink(temp).catch((error: unknown) => (isMissing(error) ? undefined : Promise.reject(error)));
        state = 'discarded';
      },
    };
  }

  /** Creates a directory and the missing ones above it, each synced into its parent. */
  private async ensureDir(path: string): Promise<void> {
    try {
      await stat(path);
      return;
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
    await this.ensureDir(dirname(path));
    await mkdir(path, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) =>
      error.code === 'EEXIST' ? undefined : Promise.reject(error),
    );
    await syncDir(dirname(path));
  }

  async get(key: string, range?: { start: number; end: number }): Promise<Readable> {
    let file: FileHandle;
    try {
      file = await open(this.pathOf(key), 'r');
    } catch (error) {
      throw isMissing(error) ? notFound(key) : error;
    }
    return file.createReadStream(range ? { start: range.start, end: range.end } : {});
  }

  /** Files are always readable: nothing to restore. */
  async restore(key: string, _tier?: Tier, _days?: number): Promise<RestoreState> {
    await this.mustExist(key);
    return 'restored';
  }

  async restoreStatus(key: string): Promise<RestoreStatus> {
    await this.mustExist(key);
    return 'restored';
  }

  private async mustExist(key: string): Promise<void> {
    try {
      await stat(this.pathOf(key));
    } catch (error) {
      throw isMissing(error) ? notFound(key) : error;
    }
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    try {
      await unlink(path);
    } catch (error) {
      if (!isMissing(error)) throw error;
      return;
    }
    // Directories emptied by deletes go too (a commit racing this makes its directory again).
    for (let dir = dirname(path); dir !== this.root; dir = dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        break;
      }
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    const walk = async (dir: string, keyPrefix: string): Promise<void> => {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (error) {
        if (isMissing(error)) return;
        throw error;
      }
      for (const name of names) {
        if (dir === this.root && name === STAGING_DIR) continue;
        const key = keyPrefix + segmentOf(name);
        if (name.startsWith('f') && key.startsWith(prefix)) keys.push(key);
        // Descend only where keys can still start with the prefix.
        const below = `${key}/`;
        if (name.startsWith('d') && (below.startsWith(prefix) || prefix.startsWith(below))) await walk(join(dir, name), below);
      }
    };
    await walk(this.root, '');
    return keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  async deleteMany(keys: string[]): Promise<void> {
    for (const key of keys) await this.delete(key);
  }
}
