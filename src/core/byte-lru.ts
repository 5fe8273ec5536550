/**
 * A byte-bounded LRU: the size of an entry is its byte length, and the sum of the sizes
 * never exceeds `maxBytes` (Infinity allowed). Written here rather than taken from lru-cache
 * because that one requires a finite integer maxSize (INTEROP.md) and an unbounded cache is a
 * supported setting; a Map keeps insertion order, so recency is a delete + set.
 */

export type EvictionReason = 'evict' | 'clear' | 'delete' | 'replace';

export type EvictionListener<K> = (key: K, bytes: Uint8Array, reason: EvictionReason) => void;

export class ByteLru<K> {
  readonly #map = new Map<K, Uint8Array>();
  readonly #maxBytes: number;
  readonly #onEvict: EvictionListener<K> | undefined;
  #bytes = 0;

  constructor(maxBytes: number, onEvict?: EvictionListener<K>) {
    this.#maxBytes = maxBytes;
    this.#onEvict = onEvict;
  }

  get maxBytes(): number {
    return this.#maxBytes;
  }

  /** Sum of the byte lengths held. */
  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#map.size;
  }

  has(key: K): boolean {
    return this.#map.has(key);
  }

  /** Reads and marks as most recently used. */
  get(key: K): Uint8Array | undefined {
    const value = this.#map.get(key);
    if (value !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, value);
    }
    return value;
  }

  /** Reads without touching recency. */
  peek(key: K): Uint8Array | undefined {
    return this.#map.get(key);
  }

  /**
   * Stores `bytes` as the most recent entry, evicting the least recently used ones until it
   * fits. Returns false, storing nothing and evicting nothing, when the entry alone is larger
   * than `maxBytes`.
   */
  set(key: K, bytes: Uint8Array): boolean {
    const size = bytes.byteLength;
    if (size > this.#maxBytes) return false;
    const previous = this.#map.get(key);
    if (previous !== undefined) {
      this.#map.delete(key);
      this.#bytes -= previous.byteLength;
      if (previous !== bytes) this.#onEvict?.(key, previous, 'replace');
    }
    this.#map.set(key, bytes);
    this.#bytes += size;
    if (this.#bytes > this.#maxBytes) this.#evictDownTo(this.#maxBytes);
    return true;
  }

  delete(key: K): boolean {
    const value = this.#map.get(key);
    if (value === undefined) return false;
    this.#map.delete(key);
    this.#bytes -= value.byteLength;
    this.#onEvict?.(key, value, 'delete');
    return true;
  }

  clear(): void {
    const entries = [...this.#map];
    this.#map.clear();
    this.#bytes = 0;
    if (this.#onEvict) for (const [key, value] of entries) this.#onEvict(key, value, 'clear');
  }

  /** Keys from least to most recently used. */
  keys(): IterableIterator<K> {
    return this.#map.keys();
  }

  entries(): IterableIterator<[K, Uint8Array]> {
    return this.#map.entries();
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
