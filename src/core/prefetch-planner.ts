/**
 * What prefetch may load: the tiles read in the last few seconds are "visible" and never
 * planned away; small coarse levels are pinned (kept whole, never evicted); the plan stops
 * when the estimated bytes pass what fits beside the visible and pinned tiles.
 */
import type { ByteLru } from './byte-lru.js';
import type { PriorityRank } from './in-flight.js';
import type { Loader } from './loader.js';
import type { Clock } from './ports.js';
import type { InstanceRef } from './types.js';

/** A frame read within this many ms counts as visible: prefetch never plans to displace it. */
export const VISIBLE_MS = 3000;
/** Prefetch plans to fill memory up to this share of maxBytes. */
export const PREFETCH_FILL = 0.9;
/** Pinned (coarsest-level) frames take at most this share of maxBytes, and at most PIN_MAX_BYTES. */
export const PIN_SHARE = 0.125;
export const PIN_MAX_BYTES = 16 * 1024 * 1024;
/** Only levels this small are pinned whole. */
export const PIN_MAX_FRAMES = 64;
const DEFAULT_FRAME_BYTES_ESTIMATE = 64 * 1024;

export interface PlannerDeps {
  lru: ByteLru<string>;
  loader: Loader;
  clock: Clock;
  frameKey(instanceUrl: string, frameNumber: number): string;
  priority: PriorityRank;
}

export class PrefetchPlanner {
  readonly #deps: PlannerDeps;
  /** key -> [bytes, last read at] */
  readonly #visible = new Map<string, [number, number]>();
  /** Frames to pin when they arrive. */
  readonly #pinWanted = new Set<string>();
  /** Per instance [frames, bytes] admitted: the size estimate for planning. */
  readonly #sizes = new Map<string, [number, number]>();

  constructor(deps: PlannerDeps) {
    this.#deps = deps;
  }

  /** A frame handed to a caller. */
  noteRead(key: string, byteLength: number): void {
    this.#visible.set(key, [byteLength, this.#deps.clock.now()]);
  }

  /**
   * A frame about to be admitted: counts its size, and says whether to pin it (it was wanted
   * pinned and fits under the pin cap).
   */
  admit(instanceUrl: string, key: string, byteLength: number): boolean {
    const size = this.#sizes.get(instanceUrl);
    if (size === undefined) this.#sizes.set(instanceUrl, [1, byteLength]);
    else {
      size[0]++;
      size[1] += byteLength;
    }
    return this.#pinWanted.delete(key) && this.#deps.lru.pinnedBytes + byteLength <= this.#pinCap();
  }

  clear(): void {
    this.#visible.clear();
    this.#pinWanted.clear();
  }

  /** Starts the loads of a prefetch: pinned levels first, then frames in order while they fit. */
  plan(frames: readonly [InstanceRef, number][], pin: readonly (readonly InstanceRef[])[]): void {
    const { lru, loader, frameKey, priority } = this.#deps;
    loader.dropQueued(priority);
    for (const instances of pin) this.#pinLevel(instances);
    let budget = this.#budget();
    // The budget leaves room beside the visible tiles, but the LRU evicts by recency, and an
    // earlier prefetch's frames are newer than the tiles read before it: the visible tiles are
    // made the most recent, so what this prefetch displaces is never one of them.
    for (const key of this.#visible.keys()) lru.get(key);
    const plan = new Map<string, number[]>();
    for (const [instance, frameNumber] of frames) {
      if (lru.has(frameKey(instance.url, frameNumber)) || loader.isLoading(instance.url, frameNumber)) continue;
      budget -= this.#estimateFrameBytes(instance.url);
      if (budget < 0) break;
      const list = plan.get(instance.url);
      if (list === undefined) plan.set(instance.url, [frameNumber]);
      else list.push(frameNumber);
    }
    for (const [url, numbers] of plan)
      loader.startFrames(
        'block',
        url,
        numbers.sort((a, b) => a - b),
        priority,
      );
  }

  #pinLevel(instances: readonly InstanceRef[]): void {
    const { lru, loader, frameKey, priority } = this.#deps;
    const total = instances.reduce((sum, i) => sum + i.frameCount, 0);
    if (total > PIN_MAX_FRAMES) return;
    for (const instance of instances) {
      const missing: number[] = [];
      for (let n = 1; n <= instance.frameCount; n++) {
        const key = frameKey(instance.url, n);
        const cached = lru.peek(key);
        if (cached !== undefined) {
          if (lru.pinnedBytes + cached.byteLength <= this.#pinCap()) lru.pin(key);
          continue;
        }
        this.#pinWanted.add(key);
        if (!loader.isLoading(instance.url, n)) missing.push(n);
      }
      if (missing.length > 0) loader.startFrames('block', instance.url, missing, priority);
    }
  }

  #pinCap(): number {
    return Math.min(PIN_MAX_BYTES, this.#deps.lru.maxBytes * PIN_SHARE);
  }

  #budget(): number {
    const { lru, clock } = this.#deps;
    const now = clock.now();
    let visibleBytes = 0;
    for (const [key, [bytes, at]] of this.#visible) {
      if (now - at > VISIBLE_MS || !lru.has(key)) this.#visible.delete(key);
      else visibleBytes += bytes;
    }
    // Stale entries may give way to prefetched tiles; visible and pinned ones may not.
    return lru.maxBytes * PREFETCH_FILL - visibleBytes - lru.pinnedBytes;
  }

  #estimateFrameBytes(instanceUrl: string): number {
    const { lru } = this.#deps;
    const size = this.#sizes.get(instanceUrl);
    if (size !== undefined) return size[1] / size[0];
    if (lru.size > 0) return lru.bytes / lru.size;
    return DEFAULT_FRAME_BYTES_ESTIMATE;
  }
}
