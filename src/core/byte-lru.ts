/**
 * A byte-bounded LRU: the size of an entry is its byte length, and the sum of the sizes
 * never exceeds `maxBytes` (Infinity allowed). Written here rather than taken from lru-cache
 * because that one requires a finite integer maxSize (docs/server-and-browser-facts.md, "Libraries") and an unbounded cache is a
 * supported setting; a Map keeps insertion order, so recency is a delete + set.
 *
 * Pinned entries (the coarsest pyramid levels) count in the budget but are never evicted.
 */

export type EvictionReason = 'evict' | 'clear' | 'delete' | 'replace';

export type EvictionListener<K> = (key: K, bytes: Uint8Array, reason: EvictionReason) => void;

export class ByteLru<K> {
  readonly #map = new Map<K, Uint8Array>();
  readonly #pinned = new Map<K, Uint8Array>();
  readonly #maxBytes: number;
  readonly #onEvict: EvictionListener<K> | undefined;
  #bytes = 0;
  #pinnedBytes = 0;

  constructor(maxBytes: number, onEvict?: EvictionListener<K>) {
    this.#maxBytes = maxBytes;
    this.#onEvict = onEvict;
  }

  get maxBytes(): number {
    return this.#maxBytes;
  }

  /** Sum of the byte lengths held, pinned entries included. */
  get bytes(): number {
    return this.#bytes;
  }

  get pinnedBytes(): number {
    return this.#pinnedBytes;
  }

  get size(): number {
    return this.#map.size + this.#pinned.size;
  }

  has(key: K): boolean {
    return this.#map.has(key) || this.#pinned.has(key);
  }

  /** Reads and marks as most recently used. */
  get(key: K): Uint8Array | undefined {
    const value = this.#map.get(key);
    if (value !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, value);
      return value;
    }
    return this.#pinned.get(key);
  }

  /** Reads without touching recency. */
  peek(key: K): Uint8Array | undefined {
    return this.#map.get(key) ?? this.#pinned.get(key);
  }

  /**
   * Stores `bytes` as the most recent entry, evicting the least recently used unpinned ones
   * until it fits. Returns false, storing nothing and evicting nothing, when the entry cannot
   * fit beside the pinned entries.
   */
  set(key: K, bytes: Uint8Array, pinned = false): boolean {
    const size = bytes.byteLength;
    const previous = this.peek(key);
    const pinnedAfter = this.#pinnedBytes - (this.#pinned.has(key) ? previous!.byteLength : 0) + (pinned ? size : 0);
    if (pinned ? pinnedAfter > this.#maxBytes : size > this.#maxBytes - pinnedAfter) return false;
    if (previous !== undefined) this.#remove(key, previous);
    if (previous !== undefined && previous !== bytes) this.#onEvict?.(key, previous, 'replace');
    (pinned ? this.#pinned : this.#map).set(key, bytes);
    if (pinned) this.#pinnedBytes += size;
    this.#bytes += size;
    if (this.#bytes > this.#maxBytes) this.#evictDownTo(this.#maxBytes);
    return true;
  }

  /** Pins an entry held now (it stops being evictable); false when absent or over budget. */
  pin(key: K): boolean {
    const value = this.#map.get(key);
    if (value === undefined) return this.#pinned.has(key);
    if (this.#pinnedBytes + value.byteLength > this.#maxBytes) return false;
    this.#map.delete(key);
    this.#pinned.set(key, value);
    this.#pinnedBytes += value.byteLength;
    return true;
  }

  /** Makes every pinned entry evictable again (as most recently used). */
  unpinAll(): void {
    for (const [key, value] of this.#pinned) this.#map.set(key, value);
    this.#pinned.clear();
    this.#pinnedBytes = 0;
  }

  delete(key: K): boolean {
    const value = this.peek(key);
    if (value === undefined) return false;
    this.#remove(key, value);
    this.#onEvict?.(key, value, 'delete');
    return true;
  }

  clear(): void {
    const entries = [...this.#pinned, ...this.#map];
    this.#map.clear();
    this.#pinned.clear();
    this.#bytes = 0;
    this.#pinnedBytes = 0;
    if (this.#onEvict) for (const [key, value] of entries) this.#onEvict(key, value, 'clear');
  }

  /** Keys from least to most recently used, then the pinned ones. */
  *keys(): IterableIterator<K> {
    yield* this.#map.keys();
    yield* this.#pinned.keys();
  }

  *entries(): IterableIterator<[K, Uint8Array]> {
    yield* this.#map.entries();
    yield* this.#pinned.entries();
  }

  #remove(key: K, value: Uint8Array): void {
    if (this.#pinned.delete(key)) this.#pinnedBytes -= value.byteLength;
    else this.#map.delete(key);
    this.#bytes -= value.byteLength;
  }

  #evictDownTo(limit: number): void {
    for (const [key, value] of this.#map) {
      if (this.#bytes <= limit) break;
      this.#map.delete(key);
      this.#bytes -= value.byteLength;
      this.#onEvict?.(key, value, 'evict');
    }
  }
}
