/**
 * The in-memory view of the IndexedDB tier's batch records: which written batch (chunk) holds
 * which stored frame and at which position, the batches oldest first, and the bytes their
 * chunks hold on disk. Pure data: the store builds it from the `batches` object store and
 * changes it only after the matching IndexedDB transaction completed (or found a chunk gone).
 */

/** One record of the `batches` object store (its key: an auto-incremented id, oldest lowest). */
export interface BatchRecord {
  /** Wall-clock ms when the batch was written. */
  t: number;
  /** Namespace-prefixed frame keys, in the order of the frames in the batch's chunk. */
  keys: string[];
  /** Byte length of each frame, same order as `keys`. */
  sizes: number[];
}

/** A batch as the index knows it: what a read needs to find and check its frames in the chunk. */
export interface IndexedBatch {
  readonly id: number;
  readonly storedAt: number;
  readonly keys: readonly string[];
  readonly sizes: readonly number[];
  /** Bytes its chunk holds: the sum of `sizes`. */
  readonly bytes: number;
}

interface Batch extends IndexedBatch {
  /** How many of its keys it still owns (a key written again by a newer batch moves there). */
  owned: number;
  /** The index's version when the batch was added (see retainOnly). */
  addedAt: number;
}

export interface FrameLocation {
  batch: IndexedBatch;
  /** 0-based position of the frame in the batch's chunk. */
  position: number;
}

export function isBatchRecord(value: unknown): value is BatchRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Partial<BatchRecord>;
  return (
    typeof r.t === 'number' &&
    Number.isFinite(r.t) &&
    Array.isArray(r.keys) &&
    Array.isArray(r.sizes) &&
    r.keys.length === r.sizes.length &&
    r.keys.every((k) => typeof k === 'string') &&
    r.sizes.every((s) => typeof s === 'number' && Number.isInteger(s) && s >= 0)
  );
}

export class SpillIndex {
  /** Ascending id: oldest first. */
  #batches = new Map<number, Batch>();
  readonly #owner = new Map<string, { batch: Batch; position: number }>();
  /** Ids removed since this index was built: never added again (ids are not reused). */
  readonly #removed = new Set<number>();
  #storedBytes = 0;
  #lastId = -Infinity;
  #version = 0;

  /** Bytes of all chunks the index knows: what they hold on disk. */
  get storedBytes(): number {
    return this.#storedBytes;
  }

  get batchCount(): number {
    return this.#batches.size;
  }

  /** Grows with every add(): a snapshot started at version v knows every batch added up to v. */
  get version(): number {
    return this.#version;
  }

  has(key: string): boolean {
    return this.#owner.has(key);
  }

  hasBatch(id: number): boolean {
    return this.#batches.has(id);
  }

  /** Known, or removed since this index was built: either way not to be added. */
  knows(id: number): boolean {
    return this.#batches.has(id) || this.#removed.has(id);
  }

  batchIds(): number[] {
    return [...this.#batches.keys()];
  }

  oldestId(): number | undefined {
    return this.#batches.keys().next().value;
  }

  /** The batch that holds the stored frame `key`, and where in its chunk. */
  locate(key: string): FrameLocation | undefined {
    return this.#owner.get(key);
  }

  /**
   * Adds a written batch (false when known or removed before). A key another batch owns goes
   * to the newer of the two: the later write holds the same frame.
   */
  add(id: number, record: BatchRecord): boolean {
    if (this.knows(id)) return false;
    let bytes = 0;
    for (const size of record.sizes) bytes += size;
    const batch: Batch = {
      id,
      storedAt: record.t,
      keys: record.keys,
      sizes: record.sizes,
      bytes,
      owned: 0,
      addedAt: ++this.#version,
    };
    record.keys.forEach((key, position) => {
      const current = this.#owner.get(key);
      if (current !== undefined) {
        if (current.batch.id > id) return;
        if (current.batch !== batch) current.batch.owned--;
        else batch.owned--;
      }
      batch.owned++;
      this.#owner.set(key, { batch, position });
    });
    this.#batches.set(id, batch);
    this.#storedBytes += bytes;
    // Another tab's batch can have a lower id than ours: keep the map in id order.
    if (id < this.#lastId) this.#batches = new Map([...this.#batches].sort((a, b) => a[0] - b[0]));
    else this.#lastId = id;
    return true;
  }

  /** Forgets a batch (deleted, or its chunk found gone, damaged or expired); false if unknown. */
  remove(id: number): boolean {
    const batch = this.#batches.get(id);
    if (batch === undefined) return false;
    this.#batches.delete(id);
    this.#removed.add(id);
    this.#storedBytes -= batch.bytes;
    for (const key of batch.keys) if (this.#owner.get(key)?.batch === batch) this.#owner.delete(key);
    return true;
  }

  /**
   * Removes the batches a snapshot of the database's ids lacks, among those added at or before
   * `version` (the index's version when the snapshot was asked for): a batch added later was
   * written or seen after the snapshot began, so its absence there says nothing. Returns the
   * ids removed.
   */
  retainOnly(present: ReadonlySet<number>, version: number): number[] {
    const gone: number[] = [];
    for (const batch of this.#batches.values())
      if (batch.addedAt <= version && !present.has(batch.id)) gone.push(batch.id);
    for (const id of gone) this.remove(id);
    return gone;
  }

  /**
   * Ids of batches whose storedAt is `maxAgeMs` or more before `now` (or that far in its
   * future: a clock that was wrong). With `headOnly` the scan stops at the first live batch:
   * batches are written in time order, so that is O(1) on the hot path; one written out of
   * order is caught by a full scan at the next load, and its frames are refused on read anyway.
   */
  expired(now: number, maxAgeMs: number, headOnly: boolean): number[] {
    const ids: number[] = [];
    for (const batch of this.#batches.values()) {
      if (!isExpired(batch, now, maxAgeMs)) {
        if (headOnly) break;
        continue;
      }
      ids.push(batch.id);
    }
    return ids;
  }

  /** Batches every key of which a newer batch holds (two tabs wrote the same frames): dead weight. */
  superseded(): number[] {
    const ids: number[] = [];
    for (const batch of this.#batches.values()) if (batch.owned === 0 && batch.keys.length > 0) ids.push(batch.id);
    return ids;
  }

  /**
   * Oldest-first ids to remove so that `incomingBytes` more fit under `maxBytes`, beyond the
   * ids in `already` (which are removed anyway). Empty when it fits.
   */
  planEviction(incomingBytes: number, maxBytes: number, already: readonly number[] = []): number[] {
    const skip = new Set(already);
    let bytes = this.#storedBytes;
    for (const id of skip) bytes -= this.#batches.get(id)?.bytes ?? 0;
    const ids: number[] = [];
    for (const batch of this.#batches.values()) {
      if (bytes + incomingBytes <= maxBytes) break;
      if (skip.has(batch.id)) continue;
      ids.push(batch.id);
      bytes -= batch.bytes;
    }
    return ids;
  }
}

/** storedAt `maxAgeMs` or more before `now`, or that far after it (a clock that was wrong). */
export function isExpired(batch: { storedAt: number }, now: number, maxAgeMs: number): boolean {
  const age = now - batch.storedAt;
  return age >= maxAgeMs || age <= -maxAgeMs;
}
