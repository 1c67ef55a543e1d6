import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { FileBlobStore } from '../../lambda/store/file-blobs';
import { blobStoreContract } from '../support/blob-store.contract';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'coldvault-blobs-'));
  dirs.push(dir);
  return dir;
}

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath ?? entry.path, entry.name)));
}

let current = '';
describe('FileBlobStore', () => {
  blobStoreContract(
    async () => {
      current = freshDir();
      return new FileBlobStore(current).open();
    },
    { leftovers: async () => readdirSync(join(current, 'staging')).length },
  );

  it('writes nothing outside its directory, files 0600 and directories 0700', async () => {
    const dir = freshDir();
    const root = join(dir, 'blobs');
    const store = await new FileBlobStore(root).open();
    for (const key of ['../../outside', 'acct/../../x', '/abs'])
      await (await store.stage(key, Readable.from([Buffer.from('x')]), { size: 1 })).commit();
    expect(readdirSync(dir)).toEqual(['blobs']);
    for (const file of filesUnder(root)) expect(statSync(join(root, file)).mode & 0o777).toBe(0o600);
    const dirsUnder = readdirSync(root, { recursive: true, withFileTypes: true }).filter((entry) => entry.isDirectory());
    expect(dirsUnder.length).toBeGreaterThan(2);
    for (const entry of dirsUnder) expect(statSync(join(entry.parentPath ?? entry.path, entry.name)).mode & 0o777).toBe(0o700);
  });

  it('removes blobs staged by a process that died before committing them, when it opens', async () => {
    const dir = freshDir();
    const store = await new FileBlobStore(dir).open();
    await store.stage('acct/archives/never', Readable.from([Buffer.from('bytes')]), { size: 5 });
    writeFileSync(join(dir, 'staging', 'left-by-a-crash.tmp'), 'partial');
    await new FileBlobStore(dir).open();
    expect(readdirSync(join(dir, 'staging'))).toEqual([]);
    expect(await store.list('')).toEqual([]);
  });

  it('answers restores of a blob that exists as already done', async () => {
    const store = await new FileBlobStore(freshDir()).open();
    await (await store.stage('acct/archives/cold', Readable.from([Buffer.from('x')]), { size: 1 })).commit();
    expect(await store.restore('acct/archives/cold', 'Bulk', 1)).toBe('restored');
    expect(await store.restoreStatus('acct/archives/cold')).toBe('restored');
    await expect(store.restore('acct/archives/none', 'Bulk', 1)).rejects.toMatchObject({ name: 'NoSuchKey' });
  });
});
