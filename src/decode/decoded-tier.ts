/**
 * The decoded tier: recently decoded tiles as ImageBitmaps, bounded by bytes (width x height x
 * 4 each; a 256 x 256 tile is 256 KiB), least recently used evicted and closed. A hit costs a
 * bitmap copy instead of a decode. Lives in the worker beside the frame cache.
 */
import type { DecodedTierStats } from '../core/types.js';

export type { DecodedTierStats };

export class DecodedTier {
  readonly #map = new Map<string, ImageBitmap>();
  #maxBytes: number;
  #bytes = 0;
  #evictions = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  get maxBytes(): number {
    return this.#maxBytes;
  }

  set maxBytes(value: number) {
    this.#maxBytes = value;
    this.#evict();
  }

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#map.size;
  }

  get evictions(): number {
    return this.#evictions;
  }

  get(key: string): ImageBitmap | undefined {
    const bitmap = this.#map.get(key);
    if (bitmap !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, bitmap);
    }
    return bitmap;
  }

  /** Keeps the bitmap (the tier owns it from now on) unless it alone exceeds the bound; returns whether it was kept. */
  set(key: string, bitmap: ImageBitmap): boolean {
    const size = sizeOf(bitmap);
    if (size > this.#maxBytes) return false;
    this.delete(key);
    this.#map.set(key, bitmap);
    this.#bytes += size;
    this.#evict();
    return this.#map.has(key);
  }

  delete(key: string): void {
    const old = this.#map.get(key);
    if (old === undefined) return;
    this.#map.delete(key);
    this.#bytes -= sizeOf(old);
    old.close();
  }

  clear(): void {
    for (const bitmap of this.#map.values()) bitmap.close();
    this.#map.clear();
    this.#bytes = 0;
  }

  #evict(): void {
    for (const [key, bitmap] of this.#map) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#map.delete(key);
      this.#bytes -= sizeOf(bitmap);
      this.#evictions++;
      bitmap.close();
    }
  }
}

function sizeOf(bitmap: ImageBitmap): number {
  return bitmap.width * bitmap.height * 4;
}
