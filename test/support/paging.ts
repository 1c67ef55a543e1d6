// Reading paged store listings to the end, for the store contract suites.
import type { Page } from '../../lambda/domain/ports';

/** Follows the store's cursor from the first page to the last. */
export async function readAll<T>(read: (cursor?: string) => Promise<Page<T>>): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await read(cursor);
    pages += 1;
    items.push(...page.items);
    cursor = page.cursor;
    if (pages > 10_000) throw new Error('paging does not end');
  } while (cursor);
  return { items, pages };
}

export async function readAllItems<T>(read: (cursor?: string) => Promise<Page<T>>): Promise<T[]> {
  return (await readAll(read)).items;
}

/**
 * Reads every page the way the List APIs do: each request starts after the last ID the previous
 * page returned, while that page carried a cursor (at most 100 pages).
 */
export async function listAfterLastId<T>(list: (startAfter?: string) => Promise<Page<T>>, idOf: (item: T) => string): Promise<Page<T>[]> {
  const pages: Page<T>[] = [];
  let startAfter: string | undefined;
  do {
    const page = await list(startAfter);
    pages.push(page);
    const last = page.items[page.items.length - 1];
    startAfter = page.cursor === undefined || last === undefined ? undefined : idOf(last);
  } while (startAfter !== undefined && pages.length < 100);
  return pages;
}

/** Runs `work` over `items`, `width` at a time. */
export async function inParallel<T>(items: T[], width: number, work: (item: T) => Promise<unknown>): Promise<void> {
  for (let first = 0; first < items.length; first += width) await Promise.all(items.slice(first, first + width).map(work));
}
