import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MiB, TreeHashing, combineTreeHashes } from './checksums';
import { leavesKey, readAll } from './blobs';
import { SEGMENTS_PER_CHUNK } from './multipart';
import type { Services } from './services';
import type { ArchiveLayout } from './ports';

/** What a read of an archive needs to know of it. */
export interface ArchiveRef {
  accountId: string;
  vaultName: string;
  archiveId: string;
  size: number;
  treeHash: string;
  layout: ArchiveLayout;
}

/** A stored object's share of an archive's bytes: an inclusive byte range within it. */
export interface Piece {
  key: string;
  start: number;
  end: number;
  /** The object's leaves, when its archive's record holds them. */
  leaves?: Buffer;
}

/** The stored objects that hold bytes start..end of an archive, with the byte range within each. */
export async function piecesOf(svc: Services, archive: ArchiveRef, start: number, end: number): Promise<Piece[]> {
  const { layout } = archive;
  if (layout.kind === 'blob') {
    return [{ key: layout.blobKey, start, end, ...(layout.leaves && { leaves: Buffer.from(layout.leaves, 'base64') }) }];
  }
  const first = Math.floor(start / layout.partSize);
  const last = Math.floor(end / layout.partSize);
  const pieces: Piece[] = [];
  let chunkKeys: string[] = [];
  let loadedChunk = -1;
  for (let part = first; part <= last; part += 1) {
    const chunk = Math.floor(part / SEGMENTS_PER_CHUNK);
    if (chunk !== loadedChunk) {
      chunkKeys = (await svc.uploads.getSegments(archive.accountId, archive.vaultName, archive.archiveId, chunk)) ?? [];
      loadedChunk = chunk;
    }
    const key = chunkKeys[part - chunk * SEGMENTS_PER_CHUNK];
    if (!key) throw new Error(`Segment ${part} of archive ${archive.archiveId} is missing`);
    const partStart = part * layout.partSize;
    pieces.push({ key, start: Math.max(start, partStart) - partStart, end: Math.min(end, partStart + layout.partSize - 1) - partStart });
  }
  return pieces;
}

/**
 * Bytes start..end of an archive as one stream, its objects read one after the other. The
 * first is opened before this returns, so that a missing object fails the request before any
 * answer goes out; a short read fails the stream, so it never passes for a complete answer.
 */
export async function archiveStream(svc: Services, archive: ArchiveRef, start: number, end: number): Promise<Readable> {
  const pieces = await piecesOf(svc, archive, start, end);
  const first = await svc.blobs.get(pieces[0].key, { start: pieces[0].start, end: pieces[0].end });
  return Readable.from(
    (async function* () {
      for (const [i, piece] of pieces.entries()) {
        const stream = i === 0 ? first : await svc.blobs.get(piece.key, { start: piece.start, end: piece.end });
        let read = 0;
        for await (const chunk of stream) {
          read += (chunk as Buffer).length;
          yield chunk as Buffer;
        }
        const expected = piece.end - piece.start + 1;
        if (read !== expected) throw new Error(`Read ${read} bytes of ${piece.key} where ${expected} were expected`);
      }
    })(),
    { objectMode: false },
  );
}

/** A stream that fails unless it carries exactly `expected` bytes. */
export function checkedLength(stream: Readable, expected: number): Readable {
  return Readable.from(
    (async function* () {
      let read = 0;
      for await (const chunk of stream) {
        read += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
      if (read !== expected) throw new Error(`Read ${read} bytes of job output where ${expected} were expected`);
    })(),
    { objectMode: false },
  );
}

/**
 * The tree hash of bytes start..end of an archive, a MiB-aligned range (it starts on a MiB and
 * ends on one or at the archive's end). Computed from the leaf hashes stored at upload (in the
 * archive's record, or beside each object), without reading the archive; an object without them (at most 1 MiB, or stored
 * before leaves were kept) is read and hashed instead, a piece at a time.
 */
export async function rangeTreeHash(svc: Services, archive: ArchiveRef, start: number, end: number): Promise<string> {
  if (start === 0 && end === archive.size - 1) return archive.treeHash;
  const leaves: Buffer[] = [];
  for (const piece of await piecesOf(svc, archive, start, end)) leaves.push(...(await leavesOf(svc, piece)));
  return combineTreeHashes(leaves).toString('hex');
}

const LEAF_BYTES = 32;

async function leavesOf(svc: Services, piece: Piece): Promise<Buffer[]> {
  const first = piece.start / MiB;
  const count = Math.ceil((piece.end - piece.start + 1) / MiB);
  const stored = piece.leaves ?? (await storedLeaves(svc, piece.key));
  if (stored && stored.length >= (first + count) * LEAF_BYTES) {
    return Array.from({ length: count }, (_, i) => stored.subarray((first + i) * LEAF_BYTES, (first + i + 1) * LEAF_BYTES));
  }
  const hashing = new TreeHashing();
  await pipeline(
    await svc.blobs.get(piece.key, { start: piece.start, end: piece.end }),
    hashing,
    new Writable({ write: (_chunk, _encoding, done) => done() }),
  );
  return hashing.leaves;
}

/** The leaves stored beside a blob, if there are (a read that fails counts as none: the bytes are hashed instead). */
async function storedLeaves(svc: Services, blobKey: string): Promise<Buffer | undefined> {
  try {
    return await readAll(await svc.blobs.get(leavesKey(blobKey)));
  } catch {
    return undefined;
  }
}
