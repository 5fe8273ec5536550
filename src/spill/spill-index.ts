/**
 * The in-memory view of the IndexedDB tier's batch index: which stored frame belongs to which
 * written batch, the batches oldest first, and the bytes they hold. Pure data: the store loads
 * it from the `batches` object store, and changes it only after the matching IndexedDB
 * transaction completed.
 */

/** One record of the `batches` object store (its key: an auto-incremented id, oldest lowest). */
export interface BatchRecord {
  /** Wall-clock ms when the batch was written. */
  t: number;
  /** Namespace-prefixed frame keys, as stored in the `frames` object store. */
  keys: string[];
  /** Byte length of each frame, same order as `keys`. */
  sizes: number[];
}

interface Batch {
  id: number;
  storedAt: number;
  /** Keys this batch owns now (a key written again by a later batch moves to that batch). */
  owned: Map<string, number>;
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
  readonly #owner = new Map<string, Batch>();
  #storedBytes = 0;
  #lastId = -Infinity;

  get storedBytes(): number {
    return this.#storedBytes;
  }

  get batchCount(): number {
    return this.#batches.size;
  }

  has(key: string): boolean {
    return this.#owner.has(key);
  }

  hasBatch(id: number): boolean {
    return this.#batches.has(id);
  }

  batchIds(): number[] {
    return [...this.#batches.keys()];
  }

  /** The highest batch id ever added since the last reset (ids only grow). */
  get maxId(): number | undefined {
    return this.#lastId === -Infinity ? undefined : this.#lastId;
  }

  oldestId(): number | undefined {
    return this.#batches.keys().next().value;
  }

  reset(): void {
    this.#batches.clear();
    this.#owner.clear();
    this.#storedBytes = 0;
    this.#lastId = -Infinity;
  }

  /**
   * Adds a written batch. A key some other batch owns goes to the newer of the two (the later
   * write replaced the frame), so every stored frame is counted once.
   */
  add(id: number, record: BatchRecord): void {
    if (this.#batches.has(id)) return;
    const batch: Batch = { id, storedAt: record.t, owned: new Map() };
    record.keys.forEach((key, i) => {
      const size = record.sizes[i] ?? 0;
      const current = this.#owner.get(key);
      if (current !== undefined) {
        if (current.id > id) return;
        this.#storedBytes -= current.owned.get(key) ?? 0;
        current.owned.delete(key);
      }
      batch.owned.set(key, size);
      this.#owner.set(key, batch);
      this.#storedBytes += size;
    });
    this.#batches.set(id, batch);
    // Another tab's batch can have a lower id than ours: keep the map in id order.
    if (id < this.#lastId) this.#batches = new Map([...this.#batches].sort((a, b) => a[0] - b[0]));
    else this.#lastId = id;
  }

  /** Removes a batch; returns the frame keys it still owned (the ones to delete from disk). */
  remove(id: number): string[] {
    const batch = this.#batches.get(id);
    if (batch === undefined) return [];
    this.#batches.delete(id);
    const keys: string[] = [];
    for (const [key, size] of batch.owned) {
      keys.push(key);
      this.#owner.delete(key);
      this.#storedBytes -= size;
    }
    return keys;
  }

  /** Forgets one frame (found expired or corrupt on read, or deleted). */
  removeKey(key: string): void {
    const batch = this.#owner.get(key);
    if (batch === undefined) return;
    this.#storedBytes -= batch.owned.get(key) ?? 0;
    batch.owned.delete(key);
    this.#owner.delete(key);
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
      const age = now - batch.storedAt;
      if (age < maxAgeMs && age > -maxAgeMs) {
        if (headOnly) break;
        continue;
      }
      ids.push(batch.id);
    }
    return ids;
  }

  /**
   * Oldest-first ids to remove so that `incomingBytes` more fit under `maxBytes`, beyond the
   * ids in `already` (which are removed anyway). Empty when it fits.
   */
  planEviction(incomingBytes: number, maxBytes: number, already: readonly number[] = []): number[] {
    const skip = new Set(already);
    let bytes = this.#storedBytes;
    for (const id of skip) bytes -= this.#ownedBytes(id);
    const ids: number[] = [];
    for (const batch of this.#batches.values()) {
      if (bytes + incomingBytes <= maxBytes) break;
      if (skip.has(batch.id)) continue;
      ids.push(batch.id);
      bytes -= this.#ownedBytes(batch.id);
    }
    return ids;
  }

  /** Frame keys a set of batches owns now (what removing them deletes). */
  ownedKeys(ids: readonly number[]): string[] {
    const keys: string[] = [];
    for (const id of ids) {
      const batch = this.#batches.get(id);
      if (batch !== undefined) keys.push(...batch.owned.keys());
    }
    return keys;
  }

  #ownedBytes(id: number): number {
    let bytes = 0;
    for (const size of this.#batches.get(id)?.owned.values() ?? []) bytes += size;
    return bytes;
  }
}
