// The embedded metadata engine of `npm start`: one LMDB environment in the data directory,
// a named database per kind of record, values as JSON. LMDB is copy-on-write with atomic
// commits, so a process killed at any instant leaves the last committed state; commits are
// synced before their promise resolves, so a write acknowledged is a write on disk.
import { open, type Database, type Key, type RootDatabase } from 'lmdb';

/** The environment's directory, under the data directory. */
export const LMDB_DIR = 'metadata';

export interface LmdbEnv {
  /** A named database of the environment, opened once. */
  db<V>(name: string): Database<V, string[]>;
  /**
   * Runs `work` in a write transaction: reads in it see every committed write, and what it
   * writes commits atomically (with other writes of the same event turn) and durably.
   */
  write<T>(work: () => T): Promise<T>;
  close(): Promise<void>;
}

export function openLmdb(path: string): LmdbEnv {
  const root: RootDatabase = open({
    path,
    encoding: 'json',
    maxDbs: 32,
    // Resolve a commit only once it is flushed: a 2xx must mean durable, not just visible.
    overlappingSync: false,
  });
  const opened = new Map<string, Database<unknown, string[]>>();
  return {
    db<V>(name: string) {
      let db = opened.get(name);
      if (!db) {
        db = root.openDB<unknown, string[]>({ name, encoding: 'json' });
        opened.set(name, db);
      }
      return db as Database<V, string[]>;
    },
    write: (work) => root.transaction(work),
    close: () => root.close(),
  };
}

/** Past any real key component (names and IDs are ASCII): the end of a prefix's range. */
const END = '\uffff';

/** Entries whose key starts with `prefix`, in key order, strictly after `after` when given. */
export function* entriesUnder<V>(db: Database<V, string[]>, prefix: string[], after?: string[]): Generator<{ key: string[]; value: V }> {
  const start: Key = after ?? prefix;
  for (const entry of db.getRange({ start, end: [...prefix, END] })) {
    // A one-part key reads back as its part.
    const key = Array.isArray(entry.key) ? (entry.key as string[]) : [entry.key as string];
    if (after && compareKeys(key, after) === 0) continue;
    yield { key, value: entry.value };
  }
}

function compareKeys(a: string[], b: string[]): number {
  return JSON.stringify(a) === JSON.stringify(b) ? 0 : 1;
}

/** Takes at most `limit` of `entries`, and says whether there were more. */
export function take<T>(entries: Iterable<T>, limit: number): { items: T[]; more: boolean } {
  const items: T[] = [];
  for (const entry of entries) {
    if (items.length === limit) return { items, more: true };
    items.push(entry);
  }
  return { items, more: false };
}

/** A cursor that resumes after a key. */
export const cursorOf = (key: string[]): string => JSON.stringify(key);

export function keyOf(cursor: string | undefined): string[] | undefined {
  if (cursor === undefined) return undefined;
  const key = JSON.parse(cursor) as unknown;
  if (!Array.isArray(key) || !key.every((part) => typeof part === 'string')) throw new Error(`Not a cursor: ${cursor}`);
  return key as string[];
}

/** Zero-padded decimal, so numbers sort as text. */
export const pad = (value: number, width = 15): string => String(value).padStart(width, '0');
