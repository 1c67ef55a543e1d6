import { DirectorySyncs } from '../../lambda/store/file-writes';

/** An fsync stand-in that stays running until released, recording when each one started. */
function controlledSyncs() {
  const started: { path: string; release: () => void; fail: (error: Error) => void }[] = [];
  const syncNow = (path: string) =>
    new Promise<void>((release, fail) => {
      started.push({ path, release: () => release(), fail });
    });
  return { started, syncs: new DirectorySyncs(syncNow) };
}

const settled = () => new Promise((done) => setImmediate(done));

describe('DirectorySyncs', () => {
  it('shares one fsync among the callers that ask before it starts', async () => {
    const { started, syncs } = controlledSyncs();
    const calls = [syncs.sync('/d'), syncs.sync('/d'), syncs.sync('/d')];
    await settled();
    expect(started.map((s) => s.path)).toEqual(['/d']);
    started[0].release();
    await Promise.all(calls);
  });

  it('makes a caller that asks while an fsync runs wait for the next one, which starts after it', async () => {
    const { started, syncs } = controlledSyncs();
    let firstDone = false;
    const first = syncs.sync('/d').then(() => (firstDone = true));
    await settled();
    expect(started).toHaveLength(1);

    let laterDone = false;
    const later = [syncs.sync('/d'), syncs.sync('/d')];
    void Promise.all(later).then(() => (laterDone = true));
    started[0].release();
    await first;
    await settled();
    expect(firstDone).toBe(true);
    // The running fsync may have begun before the later callers' renames: it does not count for them.
    expect(laterDone).toBe(false);
    expect(started).toHaveLength(2);
    started[1].release();
    await Promise.all(later);
  });

  it('keeps directories apart, and passes a failed fsync on to its callers only', async () => {
    const { started, syncs } = controlledSyncs();
    const a = syncs.sync('/a');
    const b = syncs.sync('/b');
    await settled();
    expect(started.map((s) => s.path)).toEqual(['/a', '/b']);
    started[0].fail(new Error('EIO'));
    started[1].release();
    await expect(a).rejects.toThrow('EIO');
    await expect(b).resolves.toBeUndefined();

    const again = syncs.sync('/a');
    await settled();
    expect(started).toHaveLength(3);
    started[2].release();
    await expect(again).resolves.toBeUndefined();
  });
});
