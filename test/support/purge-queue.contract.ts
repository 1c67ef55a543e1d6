// The behaviour every PurgeQueue must have: run against the in-memory fake (unit) and the
// DynamoDB adapter on dynalite (integration), so the fake can stand in for the real one.
import { newArchiveId } from '../../lambda/domain/ids';
import type { PurgeQueue, PurgeTask } from '../../lambda/domain/ports';
import { readAllItems } from './paging';
import { ACCOUNT } from './accounts';

const T0 = Date.parse('2024-03-01T10:00:00.000Z');

const blob = (name: string): PurgeTask => ({ kind: 'blob', blobKey: `${ACCOUNT}/jobs/${name}` });

export function purgeQueueContract(makeQueue: () => Promise<PurgeQueue>): void {
  let queue: PurgeQueue;

  beforeEach(async () => {
    queue = await makeQueue();
  });

  const due = async (nowMs: number) => readAllItems((cursor) => queue.listDue(nowMs, cursor));
  const dueTasks = async (nowMs: number) => (await due(nowMs)).map((item) => item.task);

  it('lists the tasks due up to and including now, in due order, each as it was scheduled', async () => {
    const bytes: PurgeTask = { kind: 'archive-bytes', accountId: ACCOUNT, vaultName: 'photos.2024', archiveId: newArchiveId() };
    const inventory: PurgeTask = {
      kind: 'inventory',
      accountId: ACCOUNT,
      vaultName: 'v',
      inventoryId: '2024-03-01T10:00:00.000Z-0a1b2c3d',
      chunks: 7,
    };
    const output = blob('job one');
    const later = blob('job two');
    await queue.schedule(later, T0 + 5000);
    await queue.schedule(bytes, T0 + 3000);
    await queue.schedule(output, T0 + 1000);
    await queue.schedule(inventory, T0 + 2000);

    expect(await due(T0 + 999)).toEqual([]);
    expect(await dueTasks(T0 + 1000)).toEqual([output]);
    expect(await dueTasks(T0 + 2999)).toEqual([output, inventory]);
    expect(await dueTasks(T0 + 3000)).toEqual([output, inventory, bytes]);
    expect(await dueTasks(T0 + 10_000)).toEqual([output, inventory, bytes, later]);
  });

  it('removes a task by its handle and leaves the others; removing it again is harmless', async () => {
    await queue.schedule(blob('a'), T0);
    await queue.schedule(blob('b'), T0);
    await queue.schedule(blob('c'), T0 + 1);
    const listed = await due(T0 + 1);
    expect(listed).toHaveLength(3);
    expect(new Set(listed.map((item) => item.handle)).size).toBe(3);
    // Two tasks due at the same instant are both kept.
    expect(
      listed
        .slice(0, 2)
        .map((item) => item.task)
        .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
    ).toEqual([blob('a'), blob('b')]);

    const [first, second, third] = listed;
    await queue.remove(second.handle);
    expect(await due(T0 + 1)).toEqual([first, third]);
    await queue.remove(second.handle);
    await queue.remove(first.handle);
    expect(await due(T0 + 1)).toEqual([third]);
    await queue.remove(third.handle);
    expect(await due(T0 + 1_000_000)).toEqual([]);
  });

  it('pages through many due tasks, and each is listed once', async () => {
    const scheduled = Array.from({ length: 40 }, (_, i) => ({ task: blob(`job-${i}`), dueMs: T0 + ((i * 7) % 40) * 1000 }));
    for (const { task, dueMs } of scheduled) await queue.schedule(task, dueMs);
    const listed = await dueTasks(T0 + 39_000);
    expect(listed).toEqual([...scheduled].sort((a, b) => a.dueMs - b.dueMs).map((item) => item.task));
    const first = await dueTasks(T0 + 19_000);
    expect(first).toHaveLength(20);

    for (const { handle } of await due(T0 + 39_000)) await queue.remove(handle);
    expect(await due(T0 + 39_000)).toEqual([]);
  });
}
