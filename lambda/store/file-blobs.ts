// Blobs as files in the data directory. A blob is written to a temporary file as it streams in,
// synced, and only then renamed under its key (and the directory synced): a blob under its key is
// always whole, and a crash leaves at most a temporary file, which the next start removes.
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DirectorySyncs, FileSink, fsyncFile } from './file-writes';
import type { BlobStore, RestoreState, RestoreStatus, StagedBlob, Tier } from '../domain/ports';

/** Where staged blobs wait for their commit, inside the blobs directory (so a rename never crosses file systems). */
const STAGING_DIR = 'staging';

// A key's segments become directories ("d" + encoded segment) and its last one a file ("f" + ...):
// no key can name a path outside the blobs directory, and a key can be both a blob and a prefix.
const segmentName = (segment: string, kind: 'd' | 'f') => kind + encodeURIComponent(segment).replace(/\./g, '%2E');
const segmentOf = (name: string) => decodeURIComponent(name.slice(1));

function notFound(key: string): Error {
  return Object.assign(new Error(`No blob ${key}`), { name: 'NoSuchKey' });
}

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

export class FileBlobStore implements BlobStore {
  private readonly staging: string;
  private readonly dirSyncs = new DirectorySyncs();

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
    let fd: number;
    try {
      fd = openSync(temp, 'wx', 0o600);
    } catch (error) {
      body.destroy();
      throw error;
    } finally {
      body.off('error', ignore);
    }
    try {
      const sink = new FileSink(fd, options.size);
      await pipeline(body, sink);
      if (sink.written !== options.size) throw new Error(`The body held ${sink.written} bytes, not the ${options.size} expected.`);
      await fsyncFile(fd);
    } catch (error) {
      closeSync(fd);
      rmSync(temp, { force: true });
      body.destroy();
      throw error;
    }
    closeSync(fd);
    return this.staged(key, temp);
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
          renameSync(temp, path);
        } catch (error) {
          // A delete emptied and removed the directory in between: make it again.
          if (!isMissing(error)) throw error;
          await this.ensureDir(dirname(path));
          renameSync(temp, path);
        }
        await this.dirSyncs.sync(dirname(path));
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
    if (existsSync(path)) return;
    await this.ensureDir(dirname(path));
    try {
      mkdirSync(path, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    await this.dirSyncs.sync(dirname(path));
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
