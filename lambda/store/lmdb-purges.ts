import { randomBytes } from 'node:crypto';
import type { Page, PurgeQueue, PurgeTask } from '../domain/ports';
import { entriesUnder, pad, take, type LmdbEnv } from './lmdb-env';

export interface LmdbPurgeOptions {
  /** Tasks per listDue page. */
  pageSize?: number;
}

/** The janitor's queue of deferred deletions in LMDB, keyed by when they are due: the handle is that key. */
export class LmdbPurgeQueue implements PurgeQueue {
  private readonly tasks;
  private readonly pageSize: number;

  constructor(
    private readonly env: LmdbEnv,
    options: LmdbPurgeOptions = {},
  ) {
    this.tasks = env.db<PurgeTask>('purges');
    this.pageSize = options.pageSize ?? 100;
  }

  async schedule(task: PurgeTask, dueMs: number): Promise<void> {
    const handle = `${pad(dueMs)}#${pad(Date.now())}${randomBytes(6).toString('hex')}`;
    await this.env.write(() => this.tasks.putSync([handle], task));
  }

  async listDue(nowMs: number, cursor?: string): Promise<Page<{ handle: string; task: PurgeTask }>> {
    const due = function* (entries: Iterable<{ key: string[]; value: PurgeTask }>) {
      for (const { key, value } of entries) {
        if (Number(key[0].split('#')[0]) > nowMs) return;
        yield { handle: key[0], task: value };
      }
    };
    const { items, more } = take(due(entriesUnder(this.tasks, [], cursor === undefined ? undefined : [cursor])), this.pageSize);
    return { items, cursor: more ? items[items.length - 1].handle : undefined };
  }

  async remove(handle: string): Promise<void> {
    await this.env.write(() => this.tasks.removeSync([handle]));
  }
}
