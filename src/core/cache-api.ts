/**
 * What `FrameCache` (main thread, engine in a worker) and `FrameCacheEngine` (no worker) share:
 * one interface, so code written against one runs against the other. `Self` is the class itself
 * (what `clone()` returns and `preload`'s `copyFrom` takes).
 */
import type {
  CacheStats,
  FrameRequestOptions,
  Hint,
  InstanceGroup,
  InstanceRef,
  PrefetchOptions,
  PreloadOptions,
  Region,
  TiledLevel,
} from './types.js';

export interface FrameCacheApi<Self> {
  /** Identifies this cache in logs (every record carries it); kept by clone() and resetStats(). */
  readonly cacheInstanceUid: string;

  /** The miss policy of calls that give none; settable. Throws 'invalid-option' for another value. */
  hint: Hint;

  /**
   * One frame's bytes as stored (JPEG, JPEG 2000, raw...), read-only by contract. A miss loads a
   * block of `framesPerMiss` frames around it (or the whole instance) unless already loading.
   * Resolves `undefined` when its load failed (logged and counted; a later call tries again) or
   * with hint 'no-wait' on a miss.
   * @throws FrameCacheError 'invalid-option' (instance, options), 'invalid-frame-number', 'closed';
   *   an aborted `signal` rejects with `signal.reason`.
   */
  getFrame(instance: InstanceRef, frameNumber: number, opts?: FrameRequestOptions): Promise<Uint8Array | undefined>;

  /**
   * Many frames of one instance in one call, in the order asked; one bad frame number rejects the
   * call before any request. Through `FrameCache` the frames are views of one buffer per call
   * (mind `byteOffset`/`byteLength`; the buffer may end in zeros).
   */
  getFrames(
    instance: InstanceRef,
    frameNumbers: number[],
    opts?: FrameRequestOptions,
  ): Promise<(Uint8Array | undefined)[]>;

  /** The frame if it is in memory now; never fetches and counts no stats. */
  getCachedFrame(instanceUrl: string, frameNumber: number): Promise<Uint8Array | undefined>;

  /**
   * Loads exactly these frames (`{ [instanceUrl]: frameNumbers }`), one load per instance, at
   * 'preload' priority, ignoring `framesPerMiss` and the whole-instance threshold. With `copyFrom`
   * the frames another cache holds in memory are copied first (no request, no stats change).
   * Resolves when every frame settled, or at once with `blocking: false`.
   */
  preload(frames: Record<string, number[]>, opts?: PreloadOptions<Self>): Promise<void>;

  /**
   * Loads the tiles of a viewport region (pixels of `level`) and `ring` rings of tiles around
   * it at 'prefetch' priority, nearest first, never planning to evict tiles read in the last
   * seconds; the queued part of the previous prefetch is dropped. `pin` keeps small coarse levels
   * whole and never evicted.
   */
  prefetch(level: TiledLevel, region: Region, opts?: PrefetchOptions): Promise<void>;

  /** Loads whole instances (a Level: all its instances); instances whose frames are all loading are skipped. */
  cacheWholeInstance(target: InstanceRef | InstanceRef[] | InstanceGroup, opts?: { blocking?: boolean }): Promise<void>;

  /**
   * Waits for the loads running now (of one instance, or all) and for queued IndexedDB writes;
   * resolves the milliseconds waited (also added to `blockedMs`).
   * @throws FrameCacheError 'timeout' after `timeoutMs` (default 600000).
   */
  waitForLoads(instanceUrl?: string, opts?: { timeoutMs?: number }): Promise<number>;

  /**
   * Keeps your own bytes (a copy) under `key` in the same memory budget (LRU with the frames);
   * resolves false when they exceed `maxBytes`. Never written to IndexedDB.
   */
  putExternal(key: string, bytes: Uint8Array): Promise<boolean>;

  /** Bytes stored by putExternal under `key`, unless evicted since. */
  getExternal(key: string): Promise<Uint8Array | undefined>;

  /** The counters (see CacheStats for each field). */
  stats(): Promise<CacheStats>;

  /** Zeroes the counters; cacheInstanceUid stays. Shared mode: every tab's (CacheStats.tab). */
  resetStats(): Promise<void>;

  /** Empties memory (and with `spill: true` every namespace of the IndexedDB tier). Loads in flight go on. */
  clear(opts?: { spill?: boolean }): Promise<void>;

  /** A cache with the same settings and cacheInstanceUid and empty memory, sharing the network source and the IndexedDB tier. */
  clone(): Self;

  /** Ends this cache's loads and waits for them; later calls reject with 'closed'. Idempotent. */
  close(): Promise<void>;
}
