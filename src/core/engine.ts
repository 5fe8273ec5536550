/**
 * FrameCacheEngine's pure core: the scheduler and the memory LRU (DESIGN.md). Everything
 * the platform provides (network source, clock, timers, spill store, uid) is injected.
 */
import { FrameCacheError, invalidOption } from '../errors.js';
import { ByteLru, type EvictionReason } from './byte-lru.js';
import { clipWindow, missWindow, rangesOf } from './frame-ranges.js';
import type { PriorityRank } from './in-flight.js';
import { Loader } from './loader.js';
import { ModeLearner } from './mode-learner.js';
import type { Region, TiledLevel } from './prefetch-region.js';
import { PRIORITY_RANK, checkFrameNumber, checkFrameRequest, checkFramesRequest, checkInstance, checkPrefetch, instancesOf } from './validate.js';
import {
  DEFAULT_WHOLE_INSTANCE_MAX_FRAMES,
  checkHint,
  checkInteger,
  checkKnownKeys,
  isHttpUrl,
  resolveOptions,
  type ResolvedOptions,
  type ResolvedSpillOptions,
} from './options.js';
import type { Clock, FetchLike, FrameSource, Logger, SpillStore, Timers } from './ports.js';
import { StatsCounters } from './stats.js';
import { TraceLogger } from './trace-logger.js';
import type {
  CacheStats,
  FrameCacheOptions,
  FrameRequestOptions,
  Hint,
  InstanceGroup,
  InstanceRef,
  PreloadOptions,
} from './types.js';

/** Ports the engine takes on top of the shared options (DESIGN.md "Engine only"). */
export interface EnginePorts {
  source?: FrameSource;
  fetch?: FetchLike;
  clock?: Clock;
  timers?: Timers;
  spillStore?: SpillStore;
  uid?: () => string;
}

export interface FrameCacheEngineOptions extends FrameCacheOptions, EnginePorts {}

const PORT_KEYS = ['source', 'fetch', 'clock', 'timers', 'spillStore', 'uid'] as const;

/** How the entry point fills the ports left unset (real fetch, clock, timers, IndexedDB). */
export interface PlatformDefaults {
  clock(): Clock;
  timers(): Timers;
  uid(): string;
  createSource(options: ResolvedOptions, ports: { fetch: FetchLike | undefined; clock: Clock; timers: Timers; logger: Logger }): FrameSource;
  createSpillStore?(spill: ResolvedSpillOptions, ports: { clock: Clock; logger: Logger }): SpillStore | undefined;
  /** What the platform learned of each server's read modes (shared by the engines of a worker). */
  modeLearner?(): ModeLearner;
}

const EXTERNAL_PREFIX = 'external:';

/** A frame read within this many ms counts as visible: prefetch never plans to displace it. */
const VISIBLE_MS = 3000;
/** Prefetch plans to fill memory up to this share of maxBytes. */
const PREFETCH_FILL = 0.9;
/** Pinned (coarsest-level) frames take at most this share of maxBytes, and at most PIN_MAX_BYTES. */
const PIN_SHARE = 0.125;
const PIN_MAX_BYTES = 16 * 1024 * 1024;
/** Only levels this small are pinned whole. */
const PIN_MAX_FRAMES = 64;
const DEFAULT_FRAME_BYTES_ESTIMATE = 64 * 1024;

/**
 * @internal A symbol-keyed request option (invisible to the option check): hits and misses of
 * the call are also counted here. The shared worker keeps one per tab for `stats().tab`.
 */
export const TALLY: unique symbol = Symbol('dicomweb-frame-cache.tally');
export interface Tally {
  hits: number;
  misses: number;
}

export interface PrefetchOptions {
  /** Rings of tiles around the region to load too. @default 1 */
  ring?: number;
  /** Levels to keep whole and never evict (the coarsest ones, a few MB): zooming out never shows grey. */
  pin?: readonly InstanceGroup[];
}

/** The memory key of a frame: URLs never start with the external prefix. */
function frameKey(instanceUrl: string, frameNumber: number): string {
  return `${instanceUrl}#${frameNumber}`;
}

export class EngineCore {
  readonly #rawOptions: FrameCacheEngineOptions;
  readonly #options: ResolvedOptions;
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #uid: () => string;
  readonly #source: FrameSource;
  readonly #spill: SpillStore | undefined;
  readonly #lru: ByteLru<string>;
  readonly #stats = new StatsCounters();
  readonly #loader: Loader;
  readonly #learner: ModeLearner;
  #logger: TraceLogger;
  #hint: Hint;
  #cacheInstanceUid: string;
  #closed = false;
  #warnedUnsorted = false;
  /** Frames handed to callers recently (key -> [bytes, at]): what prefetch must not evict. */
  readonly #visible = new Map<string, [number, number]>();
  /** Frames to pin when they arrive. */
  readonly #pinWanted = new Set<string>();
  /** Per instance [frames, bytes] admitted: the size estimate for prefetch planning. */
  readonly #sizes = new Map<string, [number, number]>();
  readonly #admissionListeners = new Set<(instanceUrl: string, frameNumber: number, bytes: Uint8Array) => void>();

  constructor(options: FrameCacheEngineOptions | undefined, defaults: PlatformDefaults | undefined) {
    const raw = options ?? {};
    this.#options = resolveOptions(raw, PORT_KEYS);
    this.#rawOptions = raw;
    const missing = (port: string): FrameCacheError =>
      new FrameCacheError('invalid-option', `Expected \`${port}\` to be given: no platform default is wired here`);
    this.#clock = raw.clock ?? defaults?.clock() ?? (() => { throw missing('clock'); })();
    this.#timers = raw.timers ?? defaults?.timers() ?? (() => { throw missing('timers'); })();
    this.#uid = raw.uid ?? defaults?.uid ?? (() => { throw missing('uid'); });
    if (raw.clock !== undefined && typeof raw.clock?.now !== 'function') throw invalidOption('clock', 'an object with now()', raw.clock);
    if (raw.uid !== undefined && typeof raw.uid !== 'function') throw invalidOption('uid', 'a function', raw.uid);
    this.#cacheInstanceUid = this.#uid();
    this.#logger = new TraceLogger(this.#options.logger, this.#cacheInstanceUid, this.#uid());
    this.#hint = this.#options.hint;
    this.#source =
      raw.source ??
      defaults?.createSource(this.#options, { fetch: raw.fetch, clock: this.#clock, timers: this.#timers, logger: this.#logger }) ??
      (() => { throw missing('source'); })();
    const spill = this.#options.spill;
    this.#spill = spill === false ? undefined : (raw.spillStore ?? defaults?.createSpillStore?.(spill, { clock: this.#clock, logger: this.#logger }));
    this.#lru = new ByteLru<string>(this.#options.maxBytes, (key, bytes, reason) => this.#onEvict(key, bytes, reason));
    this.#learner = defaults?.modeLearner?.() ?? new ModeLearner();
    this.#loader = new Loader({
      source: this.#source,
      spill: this.#spill,
      clock: this.#clock,
      logger: this.#logger,
      stats: this.#stats,
      maxConcurrentRequests: this.#options.maxConcurrentRequests,
      framesPerRequest: this.#options.framesPerRequest,
      admit: (url, n, bytes, fromSpill) => this.#admit(url, n, bytes, fromSpill),
      peek: (url, n) => this.#lru.peek(frameKey(url, n)),
      spillKey: frameKey,
      onLoadMeasured: (url, kind, bytes, ms) => {
        if (kind !== 'latency') this.#learner.record(url, kind, bytes, ms);
      },
    });
  }

  /** Identifies this cache in logs; kept by clone() and resetStats(). */
  get cacheInstanceUid(): string {
    return this.#cacheInstanceUid;
  }

  /** The hint used when a call gives none. */
  get hint(): Hint {
    return this.#hint;
  }

  set hint(value: Hint) {
    this.#hint = checkHint('hint', value);
  }

  /** Reads one frame: from memory, else by loading a block or the whole instance (see the hint). */
  async getFrame(instance: InstanceRef, frameNumber: number, opts?: FrameRequestOptions): Promise<Uint8Array | undefined> {
    this.#checkOpen();
    const { hint, signal, priority } = checkFrameRequest(instance, frameNumber, opts);
    return this.#read(instance, frameNumber, hint ?? this.#hint, signal, priority, (opts as { [TALLY]?: Tally } | undefined)?.[TALLY]);
  }

  /** Reads many frames of one instance; one bad frame number rejects the call before any request. */
  async getFrames(instance: InstanceRef, frameNumbers: number[], opts?: FrameRequestOptions): Promise<(Uint8Array | undefined)[]> {
    this.#checkOpen();
    const { hint, signal, priority } = checkFramesRequest(instance, frameNumbers, opts);
    const chosen = hint ?? this.#hint;
    const tally = (opts as { [TALLY]?: Tally } | undefined)?.[TALLY];
    return Promise.all(frameNumbers.map((n) => this.#read(instance, n, chosen, signal, priority, tally)));
  }

  /** The frame if it is in memory now; never fetches, counts no stats. */
  async getCachedFrame(instanceUrl: string, frameNumber: number): Promise<Uint8Array | undefined> {
    this.#checkOpen();
    if (typeof instanceUrl !== 'string') throw invalidOption('instanceUrl', 'a string', instanceUrl);
    checkFrameNumber(frameNumber, Number.MAX_SAFE_INTEGER);
    return this.#lru.get(frameKey(instanceUrl, frameNumber));
  }

  /**
   * Loads the given frames of each instance (`{ [instanceUrl]: frameNumbers }`), ignoring
   * framesPerMiss and the whole-instance threshold: one load per instance, chunked by
   * framesPerRequest. Frames in `copyFrom`'s memory are copied first, without a request.
   */
  async preload(frames: Record<string, number[]>, opts: PreloadOptions<EngineCore> = {}): Promise<void> {
    this.#checkOpen();
    if (typeof frames !== 'object' || frames === null || Array.isArray(frames)) {
      throw invalidOption('frames', 'an object { [instanceUrl]: frameNumbers[] }', frames);
    }
    checkKnownKeys(opts, ['copyFrom', 'blocking', 'onProgress'], 'preload options');
    const { copyFrom, blocking = true, onProgress } = opts;
    if (copyFrom !== undefined && !(copyFrom instanceof EngineCore)) throw invalidOption('copyFrom', 'a FrameCacheEngine', copyFrom);
    if (typeof blocking !== 'boolean') throw invalidOption('blocking', 'a boolean', blocking);
    if (onProgress !== undefined && typeof onProgress !== 'function') throw invalidOption('onProgress', 'a function', onProgress);
    const plan: [string, number[]][] = [];
    for (const [url, numbers] of Object.entries(frames)) {
      if (!isHttpUrl(url)) throw invalidOption('frames key', 'an absolute http(s) instance URL', url);
      if (!Array.isArray(numbers)) throw invalidOption(`frames[${url}]`, 'an array of frame numbers', numbers);
      const unique = [...new Set(numbers)];
      rangesOf(unique, () => this.#warnUnsorted(url)); // integers >= 1, else 'invalid-frame-number'
      unique.sort((a, b) => a - b);
      plan.push([url, unique]);
    }
    let total = 0;
    let done = 0;
    const waits: Promise<unknown>[] = [];
    const progress = (): void => {
      if (onProgress === undefined) return;
      try {
        onProgress(done, total);
      } catch (error) {
        this.#logger.warn('onProgress threw', { error: String(error) });
      }
    };
    for (const [url, numbers] of plan) {
      total += numbers.length;
      if (copyFrom !== undefined) {
        for (const n of numbers) {
          const bytes = copyFrom.#lru.peek(frameKey(url, n));
          if (bytes !== undefined && !this.#lru.has(frameKey(url, n))) this.#lru.set(frameKey(url, n), bytes);
        }
      }
      const toLoad = numbers.filter((n) => !this.#lru.has(frameKey(url, n)) && !this.#loader.isLoading(url, n));
      if (toLoad.length > 0) this.#loader.startFrames('block', url, toLoad, PRIORITY_RANK.preload);
      for (const n of numbers) {
        if (this.#loader.isLoading(url, n)) {
          waits.push(
            this.#loader.wait(url, n, undefined, PRIORITY_RANK.preload).then(() => {
              done++;
              progress();
            }),
          );
        } else {
          done++;
        }
      }
    }
    progress();
    if (blocking) await Promise.all(waits);
    else Promise.all(waits).catch(() => undefined); // 'closed' while nobody waits is not an error
  }

  /** Loads whole instances (a Level means all its instances); skipped where all frames are loading. */
  async cacheWholeInstance(target: InstanceRef | InstanceRef[] | InstanceGroup, opts: { blocking?: boolean } = {}): Promise<void> {
    this.#checkOpen();
    const instances = instancesOf(target);
    checkKnownKeys(opts, ['blocking'], 'cacheWholeInstance options');
    const { blocking = true } = opts;
    if (typeof blocking !== 'boolean') throw invalidOption('blocking', 'a boolean', blocking);
    const loads = [];
    for (const instance of instances) {
      if (this.#allLoading(instance)) continue;
      loads.push(this.#loader.startInstance(instance.url, instance.frameCount, PRIORITY_RANK.preload).done);
    }
    if (blocking) await Promise.all(loads);
  }

  /**
   * Waits for the loads running now (of one instance, or all) and for queued spill writes.
   * Returns the milliseconds waited, also added to blockedMs.
   */
  async waitForLoads(instanceUrl?: string, opts: { timeoutMs?: number } = {}): Promise<number> {
    this.#checkOpen();
    if (instanceUrl !== undefined && typeof instanceUrl !== 'string') throw invalidOption('instanceUrl', 'a string', instanceUrl);
    checkKnownKeys(opts, ['timeoutMs'], 'waitForLoads options');
    const timeoutMs = checkInteger('timeoutMs', opts.timeoutMs ?? 600000, 0);
    const loads = this.#loader.loads(instanceUrl);
    if (loads.length === 0 && this.#spill === undefined) return 0;
    const start = this.#clock.now();
    let handle: unknown;
    const timeout = new Promise<never>((_, reject) => {
      handle = this.#timers.setTimeout(
        () => reject(new FrameCacheError('timeout', `waitForLoads timed out after ${timeoutMs} ms with ${loads.length} load(s) running`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([Promise.all(loads.map((l) => l.done)).then(() => this.#spill?.flush()), timeout]);
    } finally {
      this.#timers.clearTimeout(handle);
    }
    const waited = loads.length === 0 ? 0 : this.#clock.now() - start;
    this.#stats.add('blockedMs', waited);
    return waited;
  }

  /** Stores bytes under a key of their own namespace in the same memory budget; false when too large. */
  async putExternal(key: string, bytes: Uint8Array): Promise<boolean> {
    this.#checkOpen();
    if (typeof key !== 'string') throw invalidOption('key', 'a string', key);
    if (!(bytes instanceof Uint8Array)) throw invalidOption('bytes', 'a Uint8Array', bytes);
    if (bytes.byteLength > this.#lru.maxBytes) {
      this.#logger.warn('external bytes larger than the memory bound are not kept', {
        key,
        bytes: bytes.byteLength,
        maxBytes: this.#lru.maxBytes,
      });
      return false;
    }
    return this.#lru.set(EXTERNAL_PREFIX + key, bytes.slice());
  }

  async getExternal(key: string): Promise<Uint8Array | undefined> {
    this.#checkOpen();
    if (typeof key !== 'string') throw invalidOption('key', 'a string', key);
    return this.#lru.get(EXTERNAL_PREFIX + key);
  }

  async stats(): Promise<CacheStats> {
    const spill = this.#spill?.stats();
    return this.#stats.snapshot({
      memoryBytes: this.#lru.bytes,
      memoryLimitBytes: this.#lru.maxBytes,
      inFlight: this.#loader.inFlight,
      queued: this.#loader.queued,
      spillStoredBytes: spill?.storedBytes ?? 0,
      spillErrors: spill?.errors ?? 0,
    });
  }

  /** Zeroes the counters; the cacheInstanceUid stays, the logger's worker uid is new. */
  async resetStats(): Promise<void> {
    this.#stats.reset();
    this.#logger.workerUid = this.#uid();
  }

  /** Empties memory (and with `spill: true` the IndexedDB tier). Loads in flight go on. */
  async clear(opts: { spill?: boolean } = {}): Promise<void> {
    this.#checkOpen();
    checkKnownKeys(opts, ['spill'], 'clear options');
    this.#lru.clear();
    this.#visible.clear();
    this.#pinWanted.clear();
    if (opts.spill === true) await this.#spill?.clear();
  }

  /** Same settings and uid, empty memory; shares the source and the IndexedDB tier. */
  clone(): this {
    const Ctor = this.constructor as new (options: FrameCacheEngineOptions) => this;
    const copy = new Ctor({ ...this.#rawOptions, source: this.#source, clock: this.#clock, timers: this.#timers, uid: this.#uid, ...(this.#spill ? { spillStore: this.#spill } : {}) });
    copy.#adoptIdentity(this.#cacheInstanceUid, this.#hint);
    return copy;
  }

  /** Ends this cache's loads and waits for them; later calls reject with 'closed'. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#loader.close();
    await this.#spill?.flush();
  }

  /**
   * Loads the tiles of a viewport region (pixels of `level`) and `ring` rings of tiles around
   * it at low priority, nearest first. It plans no more than fits beside the tiles read in the
   * last few seconds (it stops rather than evict visible tiles), supersedes the queued part of
   * the previous prefetch, and with `pin` keeps the given (coarsest) levels whole.
   */
  async prefetch(level: TiledLevel, region: Region, opts: PrefetchOptions = {}): Promise<void> {
    this.#checkOpen();
    const { frames, pin } = checkPrefetch(level, region, opts);
    await this.prefetchFrames(frames.map((f) => [f.instance, f.frameNumber]), { pin });
  }

  /** @internal prefetch() with the frames already chosen (the facade computes them on the main thread). */
  async prefetchFrames(frames: readonly [InstanceRef, number][], opts: { pin?: InstanceRef[][] } = {}): Promise<void> {
    this.#checkOpen();
    this.#loader.dropQueued(PRIORITY_RANK.prefetch);
    for (const instances of opts.pin ?? []) this.#pinLevel(instances);
    let budget = this.#prefetchBudget();
    const plan = new Map<string, number[]>();
    for (const [instance, frameNumber] of frames) {
      checkInstance(instance);
      checkFrameNumber(frameNumber, instance.frameCount);
      const key = frameKey(instance.url, frameNumber);
      if (this.#lru.has(key) || this.#loader.isLoading(instance.url, frameNumber)) continue;
      budget -= this.#estimateFrameBytes(instance.url);
      if (budget < 0) break;
      const list = plan.get(instance.url);
      if (list === undefined) plan.set(instance.url, [frameNumber]);
      else list.push(frameNumber);
    }
    for (const [url, numbers] of plan) this.#loader.startFrames('block', url, numbers.sort((a, b) => a - b), PRIORITY_RANK.prefetch);
  }

  #pinLevel(instances: readonly InstanceRef[]): void {
    const total = instances.reduce((sum, i) => sum + i.frameCount, 0);
    if (total > PIN_MAX_FRAMES) return;
    for (const instance of instances) {
      const missing: number[] = [];
      for (let n = 1; n <= instance.frameCount; n++) {
        const key = frameKey(instance.url, n);
        const cached = this.#lru.peek(key);
        if (cached !== undefined) {
          if (this.#lru.pinnedBytes + cached.byteLength <= this.#pinCapBytes()) this.#lru.pin(key);
        } else if (!this.#loader.isLoading(instance.url, n)) {
          this.#pinWanted.add(key);
          missing.push(n);
        } else {
          this.#pinWanted.add(key);
        }
      }
      if (missing.length > 0) this.#loader.startFrames('block', instance.url, missing, PRIORITY_RANK.prefetch);
    }
  }

  #warnUnsorted(instanceUrl: string): void {
    if (this.#warnedUnsorted) return;
    this.#warnedUnsorted = true;
    this.#logger.warn('frame numbers were not sorted; sorting them costs time (logged once)', { instanceUrl });
  }

  #pinCapBytes(): number {
    return Math.min(PIN_MAX_BYTES, this.#lru.maxBytes * PIN_SHARE);
  }

  #prefetchBudget(): number {
    const now = this.#clock.now();
    let visibleBytes = 0;
    for (const [key, [bytes, at]] of this.#visible) {
      if (now - at > VISIBLE_MS || !this.#lru.has(key)) this.#visible.delete(key);
      else visibleBytes += bytes;
    }
    // Stale entries may give way to prefetched tiles; visible and pinned ones may not.
    return this.#lru.maxBytes * PREFETCH_FILL - visibleBytes - this.#lru.pinnedBytes;
  }

  #estimateFrameBytes(instanceUrl: string): number {
    const size = this.#sizes.get(instanceUrl);
    if (size !== undefined) return size[1] / size[0];
    if (this.#lru.size > 0) return this.#lru.bytes / this.#lru.size;
    return DEFAULT_FRAME_BYTES_ESTIMATE;
  }

  /** @internal Called for every frame newly admitted (network or IndexedDB): the worker pushes them to tabs. */
  onAdmission(listener: (instanceUrl: string, frameNumber: number, bytes: Uint8Array) => void): () => void {
    this.#admissionListeners.add(listener);
    return () => this.#admissionListeners.delete(listener);
  }

  /**
   * @internal The frames of `frames` held in memory now, without stats or recency changes:
   * what `preload({ copyFrom })` copies when the other cache lives in another worker.
   */
  exportFrames(frames: Record<string, number[]>): [string, number, Uint8Array][] {
    const out: [string, number, Uint8Array][] = [];
    for (const [url, numbers] of Object.entries(frames)) {
      for (const n of numbers) {
        const bytes = this.#lru.peek(frameKey(url, n));
        if (bytes !== undefined) out.push([url, n, bytes]);
      }
    }
    return out;
  }

  /** @internal Keeps frames copied from another cache (no stats change, nothing written to spill). */
  importFrames(entries: readonly [string, number, Uint8Array][]): void {
    for (const [url, n, bytes] of entries) {
      if (!isHttpUrl(url) || !Number.isInteger(n) || n < 1 || !(bytes instanceof Uint8Array)) continue;
      const key = frameKey(url, n);
      if (!this.#lru.has(key)) this.#lru.set(key, bytes);
    }
  }

  #adoptIdentity(uid: string, hint: Hint): void {
    this.#cacheInstanceUid = uid;
    this.#hint = hint;
    this.#logger = new TraceLogger(this.#options.logger, uid, this.#uid());
  }

  #checkOpen(): void {
    if (this.#closed) throw new FrameCacheError('closed', 'The frame cache was closed');
  }

  async #read(
    instance: InstanceRef,
    frameNumber: number,
    hint: Hint,
    signal: AbortSignal | undefined,
    priority: PriorityRank,
    tally: Tally | undefined,
  ): Promise<Uint8Array | undefined> {
    this.#stats.noteFrameRead(frameNumber);
    const { url } = instance;
    const key = frameKey(url, frameNumber);
    const hit = this.#lru.get(key);
    if (hit !== undefined) {
      this.#stats.add('hits');
      if (tally) tally.hits++;
      this.#visible.set(key, [hit.byteLength, this.#clock.now()]);
      return hit;
    }
    this.#stats.add('misses');
    if (tally) tally.misses++;
    let sideFetch = false;
    if (!this.#loader.isLoading(url, frameNumber)) {
      if (hint === 'minimize-latency' && instance.frameCount > 1) {
        // The frame alone first, ahead of the queue; the block then leaves it out.
        this.#loader.startFrames('latency', url, [frameNumber], 0, true);
        sideFetch = true;
      }
      this.#startMissLoad(instance, frameNumber, priority);
    }
    if (hint === 'no-wait') return undefined;
    const start = this.#clock.now();
    const bytes = await this.#loader.wait(url, frameNumber, signal, priority);
    const now = this.#clock.now();
    if (!sideFetch) this.#stats.add('blockedMs', now - start);
    if (bytes !== undefined) this.#visible.set(key, [bytes.byteLength, now]);
    return bytes;
  }

  #startMissLoad(instance: InstanceRef, frameNumber: number, priority: PriorityRank): void {
    const { url, frameCount } = instance;
    if (this.#useWholeInstance(instance) && !this.#allLoading(instance)) {
      this.#loader.startInstance(url, frameCount, priority);
      return;
    }
    const isCached = (n: number): boolean => this.#lru.has(frameKey(url, n));
    const isLoading = (n: number): boolean => this.#loader.isLoading(url, n);
    const window = missWindow(frameCount, frameNumber, this.#options.framesPerMiss, isCached);
    const clipped = window && clipWindow(window, isLoading);
    if (clipped === undefined) return;
    const frames: number[] = [];
    for (let n = clipped[0]; n <= clipped[1]; n++) if (!isCached(n) && !isLoading(n)) frames.push(n);
    if (frames.length > 0) this.#loader.startFrames('block', url, frames, priority);
  }

  /** Set explicitly, the threshold is obeyed as is; left unset, the learner decides below it. */
  #useWholeInstance(instance: InstanceRef): boolean {
    const threshold = this.#options.wholeInstanceMaxFrames;
    if (threshold !== undefined) return instance.frameCount < threshold;
    // An instance already partly read goes on in block mode: a whole-instance read would fetch
    // its frames again (and a learner's trial on it would cost a cold read twice the bytes).
    if (instance.frameCount >= DEFAULT_WHOLE_INSTANCE_MAX_FRAMES || this.#anyPresent(instance)) return false;
    return this.#learner.choose(instance.url, instance.frameCount) === 'instance';
  }

  #anyPresent(instance: InstanceRef): boolean {
    if (this.#loader.loads(instance.url).length > 0) return true;
    for (let n = 1; n <= instance.frameCount; n++) if (this.#lru.has(frameKey(instance.url, n))) return true;
    return false;
  }

  #allLoading(instance: InstanceRef): boolean {
    for (let n = 1; n <= instance.frameCount; n++) if (!this.#loader.isLoading(instance.url, n)) return false;
    return true;
  }

  #admit(instanceUrl: string, frameNumber: number, bytes: Uint8Array, fromSpill: boolean): Uint8Array {
    const key = frameKey(instanceUrl, frameNumber);
    const cached = this.#lru.peek(key);
    if (cached !== undefined) return cached;
    // One copy, so a cached tile never pins a whole response. Spill reads are fresh buffers.
    const kept = fromSpill && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
    const size = this.#sizes.get(instanceUrl);
    if (size === undefined) this.#sizes.set(instanceUrl, [1, kept.byteLength]);
    else {
      size[0]++;
      size[1] += kept.byteLength;
    }
    const pin = this.#pinWanted.delete(key) && this.#lru.pinnedBytes + kept.byteLength <= this.#pinCapBytes();
    if (!this.#lru.set(key, kept, pin) && !(pin && this.#lru.set(key, kept))) {
      this.#logger.warn('frame larger than the memory bound is not kept', {
        instanceUrl,
        frameNumber,
        bytes: kept.byteLength,
        maxBytes: this.#lru.maxBytes,
      });
    }
    if (!fromSpill) this.#spill?.putMany([[key, kept]]);
    for (const listener of this.#admissionListeners) listener(instanceUrl, frameNumber, kept);
    return kept;
  }

  #onEvict(_key: string, _bytes: Uint8Array, reason: EvictionReason): void {
    if (reason === 'evict') this.#stats.add('evictions');
  }
}
