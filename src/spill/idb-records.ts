/**
 * What the IndexedDB tier stores, and the check of a chunk record on read: the namespaced key,
 * the chunk record (one per written batch: the frames' bytes, their total length, when), and the
 * error fields the store logs (never bytes, keys, URLs or namespaces).
 */
import type { LogFields } from '../core/ports.js';
import { isExpired, type BatchRecord, type IndexedBatch } from './spill-index.js';

/**
 * A `frames` record, key = its batch's id: the frames of one batch, each its own Uint8Array
 * (so a read hands every frame out as a whole buffer, with no copy), in the order of the batch
 * record's keys; `n` their total length and `t` when they were stored, both checked on read.
 */
export interface StoredChunk {
  v: Uint8Array[];
  n: number;
  t: number;
}

/** A batch to write: its record (`batches`) and its chunk (`frames`), stored under the same id. */
export interface NewBatch {
  record: BatchRecord;
  chunk: StoredChunk;
}

/** The stored key: the namespace's length makes the prefix unambiguous ('a'+'bc' vs 'ab'+'c'). */
export function spillKey(namespace: string, key: string): string {
  return `${namespace.length}:${namespace}:${key}`;
}

export function errorName(error: unknown): string {
  if (typeof error === 'object' && error !== null && typeof (error as { name?: unknown }).name === 'string') {
    return (error as { name: string }).name;
  }
  return typeof error;
}

export function errorFields(error: unknown): LogFields {
  const message = typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : undefined;
  return { error: errorName(error), ...(typeof message === 'string' ? { message } : {}) };
}

/**
 * The chunk's frames, or why not: a wrong shape, a frame of another length than its batch
 * record says, or a total that is not the sum of the frames is corrupt; an old one expired.
 */
export function checkChunk(
  value: unknown,
  batch: IndexedBatch,
  now: number,
  maxAgeMs: number,
): Uint8Array[] | 'expired' | 'corrupt' {
  if (typeof value !== 'object' || value === null) return 'corrupt';
  const { v, n, t } = value as { v?: unknown; n?: unknown; t?: unknown };
  if (!Array.isArray(v) || typeof n !== 'number' || typeof t !== 'number' || !Number.isFinite(t)) return 'corrupt';
  if (v.length !== batch.sizes.length || n !== batch.bytes) return 'corrupt';
  const frames: Uint8Array[] = [];
  let total = 0;
  for (let i = 0; i < v.length; i++) {
    const item: unknown = v[i];
    const bytes = item instanceof Uint8Array ? item : item instanceof ArrayBuffer ? new Uint8Array(item) : undefined;
    if (bytes === undefined || bytes.byteLength !== batch.sizes[i]) return 'corrupt';
    total += bytes.byteLength;
    frames.push(bytes);
  }
  if (total !== n) return 'corrupt';
  return isExpired({ storedAt: t }, now, maxAgeMs) ? 'expired' : frames;
}

/** Frames (queue order) as batches of at most `chunkMaxBytes` each; a larger frame gets one of its own. */
export function toChunks(
  entries: readonly (readonly [string, Uint8Array])[],
  chunkMaxBytes: number,
  now: number,
): NewBatch[] {
  const out: NewBatch[] = [];
  let keys: string[] = [];
  let frames: Uint8Array[] = [];
  let bytes = 0;
  const close = (): void => {
    out.push({
      record: { t: now, keys, sizes: frames.map((f) => f.byteLength) },
      chunk: { v: frames, n: bytes, t: now },
    });
    keys = [];
    frames = [];
    bytes = 0;
  };
  for (const [key, value] of entries) {
    if (frames.length > 0 && bytes + value.byteLength > chunkMaxBytes) close();
    keys.push(key);
    frames.push(value);
    bytes += value.byteLength;
  }
  if (frames.length > 0) close();
  return out;
}

/** What the chunks read for some batches gave: frames of the good ones; the others, to drop. */
export interface CheckedChunks {
  frames: Map<number, Uint8Array[]>;
  /** Ids of batches whose chunk was gone, damaged or expired. */
  dropped: number[];
  corrupt: IndexedBatch[];
}

export function checkChunks(
  batches: readonly IndexedBatch[],
  values: readonly unknown[],
  now: number,
  maxAgeMs: number,
): CheckedChunks {
  const out: CheckedChunks = { frames: new Map(), dropped: [], corrupt: [] };
  batches.forEach((batch, i) => {
    const value = values[i];
    const checked = value === undefined ? 'gone' : checkChunk(value, batch, now, maxAgeMs);
    if (Array.isArray(checked)) out.frames.set(batch.id, checked);
    else {
      out.dropped.push(batch.id);
      if (checked === 'corrupt') out.corrupt.push(batch);
    }
  });
  return out;
}
