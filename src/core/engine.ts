/**
 * FrameCacheEngine's pure core: the scheduler and the memory LRU (docs/design.md). Everything
 * the platform provides (network source, clock, timers, spill store, uid) is injected.
 */
import { FrameCacheError, closedError, invalidOption } from '../shared/errors.js';
import { raceAbort } from '../shared/race-abort.js';
import { frameKey } from './frame-key.js';
import { ByteLru, type EvictionReason } from './byte-lru.js';
import type { FrameCacheApi } from './cache-api.js';
import { VISIBLE, type PriorityRank } from './in-flight.js';
import { LinkLearner } from './link-learner.js';
import { Loader } from './loader.js';
import {
  PORT_KEYS,
  TALLY,
  type FrameCacheEngineOptions,
  type PlatformDefaults,
  type PrefetchOptions,
  type Tally,
} from './engine-types.js';
export type { EnginePorts, FrameCacheEngineOptions, PlatformDefaults, PrefetchOptions, Tally } from './engine-types.js';
import { MissPlanner } from './miss-planner.js';
import { ModeLearner } from './mode-learner.js';
import { PrefetchPlanner } from './prefetch-planner.js';
import type { Region, TiledLevel } from './prefetch-region.js';
import {
  PRIORITY_RANK,
  checkFrameNumber,
  checkFrameRequest,
  checkFramesRequest,
  checkExternal,
  checkHint,
  checkInstance,
  checkKnownKeys,
  checkPrefetch,
  checkPreload,
  checkWaitForLoads,
  checkWholeInstanceOptions,
  instancesOf,
  isHttpUrl,
} from './validate.js';
import { resolveOptions, type ResolvedOptions } from './options.js';
import type { Clock, FrameSource, SpillStore, Timers } from './ports.js';
import { resolvePorts } from './engine-ports.js';
import { StatsCounters } from './stats.js';
import { TraceLogger } from './trace-logger.js';
import type { CacheStats, FrameRequestOptions, Hint, InstanceGroup, InstanceRef, PreloadOptions } from './types.js';

const EXTERNAL_PREFIX = 'external:';

/**
 * A visible frame gets a request of its own when waiting for the background chunk that brings
 * it would take this many times longer (a margin for the estimate: an extra request costs the
 * archive a parse of the file).
 */
const OVERTAKE_FACTOR = 2;

export class EngineCore implements FrameCacheApi<EngineCore> {
  readonly #rawOptions: FrameCacheEngineOptions;
  readonly #defaults: PlatformDefaults | undefined;
  readonly #overtakes: boolean;
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
  readonly #links: LinkLearner;
  readonly #misses: MissPlanner;
  #logger: TraceLogger;
  #hint: Hint;
  #cacheInstanceUid: string;
  #closed = false;
  #warnedUnsorted = false;
  readonly #planner: PrefetchPlanner;
  readonly #admissionListeners = new Set<(instanceUrl: string, frameNumber: number, bytes: Uint8Array) => void>();

  constructor(options: FrameCacheEngineOptions | undefined, defaults: PlatformDefaults | undefined) {
    // Only `undefined` means "no options": null is refused by resolveOptions, as FrameCache does.
    const raw = options === undefined ? {} : options;
    this.#options = resolveOptions(raw, PORT_KEYS);
    this.#rawOptions = raw;
    this.#defaults = defaults;
    this.#overtakes = defaults?.overtakeChunks ?? true;
    const ports = resolvePorts(raw, this.#options, defaults);
    this.#clock = ports.clock;
    this.#timers = ports.timers;
    this.#uid = ports.uid;
    this.#cacheInstanceUid = ports.cacheInstanceUid;
    this.#logger = ports.logger;
    this.#hint = this.#options.hint;
    this.#source = ports.source;
    this.#spill = ports.spill;
    this.#lru = new ByteLru<string>(this.#options.maxBytes, (key, bytes, reason) => this.#onEvict(key, bytes, reason));
    this.#learner = defaults?.modeLearner?.() ?? new ModeLearner();
    this.#links = defaults?.linkLearner?.() ?? new LinkLearner();
    const maxBackground = this.#maxBackground();
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
      onRequestMeasured: (url, sample) => this.#links.record(url, sample),
      backgroundSlots: (url, frames) => this.#links.backgroundSlots(url, frames, maxBackground),
      visibleDoneBeforeNextAnswer: (url, answer) => this.#links.visibleDoneBeforeNextAnswer(url, answer),
      // A platform that batches a view's misses over a task (every FrameCacheEngine: the worker, the
      // Service Worker, Node; not the bare core of the tests) hands its answers over a task later too.
      ...(defaults?.batchWindow === undefined
        ? {}
        : { afterAnswers: (then: () => void) => void this.#timers.setTimeout(then, 0) }),
      ...(this.#overtakes
        ? { shouldYield: (url: string, frames: number, firstMs: number) => this.#links.holdsLink(url, frames, firstMs) }
        : {}),
    });
    this.#misses = new MissPlanner({
      loader: this.#loader,
      modeLearner: this.#learner,
      isCached: (url, n) => this.#lru.has(frameKey(url, n)),
      clock: this.#clock,
      timers: this.#timers,
      batchWindow: defaults?.batchWindow,
      framesPerMiss: this.#options.framesPerMiss,
      wholeInstanceMaxFrames: this.#options.wholeInstanceMaxFrames,
      explicitFramesPerRequest: raw.framesPerRequest === undefined ? undefined : this.#options.framesPerRequest,
      wholeReadPays: (instance, chunksLeft, chunkFrames) => this.#wholeReadPays(instance, chunksLeft, chunkFrames),
      onInOrderWhole: () => this.#stats.add('inOrderWholeReads'),
    });
    this.#planner = new PrefetchPlanner({
      lru: this.#lru,
      loader: this.#loader,
      clock: this.#clock,
      frameKey,
      priority: PRIORITY_RANK.prefetch,
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
  async getFrame(
    instance: InstanceRef,
    frameNumber: number,
    opts?: FrameRequestOptions,
  ): Promise<Uint8Array | undefined> {
    this.#checkOpen();
    const { hint, signal, priority } = checkFrameRequest(instance, frameNumber, opts);
    // An aborted signal rejects at once, a frame in memory included (README).
    signal?.throwIfAborted();
    return this.#read(
      instance,
      frameNumber,
      hint ?? this.#hint,
      signal,
      priority,
      (opts as { [TALLY]?: Tally } | undefined)?.[TALLY],
    );
  }

  /** Reads many frames of one instance; one bad frame number rejects the call before any request. */
  async getFrames(
    instance: InstanceRef,
    frameNumbers: number[],
    opts?: FrameRequestOptions,
  ): Promise<(Uint8Array | undefined)[]> {
    this.#checkOpen();
    const { hint, signal, priority } = checkFramesRequest(instance, frameNumbers, opts);
    signal?.throwIfAborted();
    const chosen = hint ?? this.#hint;
    const tally = (opts as { [TALLY]?: Tally } | undefined)?.[TALLY];
    return Promise.all(frameNumbers.map((n) => this.#read(instance, n, chosen, signal, priority, tally)));
  }

  /**
   * getFrame's answer for a frame in memory now, without a promise: counted as getFrame counts a
   * hit. `undefined` where it is not in memory, with nothing counted: the caller then calls
   * getFrame, which counts the miss. Throws what getFrame rejects with for a bad call. The
   * worker answers hits through it (worker-host.ts), skipping getFrame's chain of awaits
   * (docs/worker-cost.md, "The hit path without promises").
   * @internal
   */
  readHit(instance: InstanceRef, frameNumber: number, tally?: Tally): Uint8Array | undefined {
    this.#checkOpen();
    checkFrameRequest(instance, frameNumber, undefined);
    const key = frameKey(instance.url, frameNumber);
    const hit = this.#lru.get(key);
    if (hit !== undefined) this.#countHit(key, frameNumber, hit, tally);
    return hit;
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
    const { plan, copyFrom, blocking, onProgress } = checkPreload(frames, opts, (url) => this.#warnUnsorted(url));
    if (copyFrom !== undefined && !(copyFrom instanceof EngineCore))
      throw invalidOption('copyFrom', 'a FrameCacheEngine', copyFrom);
    // As FrameCache: a closed cache has nothing to give.
    if (copyFrom !== undefined && copyFrom.#closed) throw closedError();
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
  async cacheWholeInstance(
    target: InstanceRef | InstanceRef[] | InstanceGroup,
    opts: { blocking?: boolean } = {},
  ): Promise<void> {
    this.#checkOpen();
    const instances = instancesOf(target);
    const blocking = checkWholeInstanceOptions(opts);
    const loads = [];
    for (const instance of instances) {
      if (this.#misses.allLoading(instance)) continue;
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
    // Timers fire at once past 2^31 - 1 ms (browsers and Node alike): refused, not a false timeout.
    const timeoutMs = checkWaitForLoads(instanceUrl, opts);
    const loads = this.#loader.loads(instanceUrl);
    if (loads.length === 0 && this.#spill === undefined) return 0;
    const start = this.#clock.now();
    let handle: unknown;
    const timeout = new Promise<never>((_, reject) => {
      handle = this.#timers.setTimeout(
        () =>
          reject(
            new FrameCacheError(
              'timeout',
              `waitForLoads timed out after ${timeoutMs} ms with ${loads.length} load(s) running`,
            ),
          ),
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
    checkExternal(key, bytes);
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

  /** Bytes stored by putExternal under `key`, unless evicted since. */
  async getExternal(key: string): Promise<Uint8Array | undefined> {
    this.#checkOpen();
    if (typeof key !== 'string') throw invalidOption('key', 'a string', key);
    return this.#lru.get(EXTERNAL_PREFIX + key);
  }

  /** The counters (see CacheStats for each field). */
  async stats(): Promise<CacheStats> {
    this.#checkOpen();
    const spill = this.#spill?.stats();
    return this.#stats.snapshot({
      memoryBytes: this.#lru.bytes,
      memoryLimitBytes: this.#lru.maxBytes,
      inFlight: this.#loader.inFlight,
      queued: this.#loader.queued,
      spillStoredBytes: spill?.storedBytes ?? 0,
      spillErrors: spill?.errors ?? 0,
      links: this.#links.describe(),
    });
  }

  /** Zeroes the counters; the cacheInstanceUid stays, the logger's worker uid is new. */
  async resetStats(): Promise<void> {
    this.#checkOpen();
    this.#stats.reset();
    this.#logger.workerUid = this.#uid();
  }

  /** Empties memory (and with `spill: true` the IndexedDB tier). Loads in flight go on. */
  async clear(opts: { spill?: boolean } = {}): Promise<void> {
    this.#checkOpen();
    checkKnownKeys(opts, ['spill'], 'clear options');
    this.#lru.clear();
    this.#planner.clear();
    if (opts.spill === true) await this.#spill?.clear();
  }

  /** Same settings and uid, empty memory; shares the source and the IndexedDB tier. */
  clone(): this {
    this.#checkOpen();
    // The platform given to this engine goes to the copy too (a subclass takes it as overrides).
    const Ctor = this.constructor as new (options: FrameCacheEngineOptions, defaults?: PlatformDefaults) => this;
    const copy = new Ctor(
      {
        ...this.#rawOptions,
        source: this.#source,
        clock: this.#clock,
        timers: this.#timers,
        uid: this.#uid,
        ...(this.#spill ? { spillStore: this.#spill } : {}),
      },
      this.#defaults,
    );
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
    await this.prefetchFrames(
      frames.map((f) => [f.instance, f.frameNumber]),
      { pin },
    );
  }

  /** @internal prefetch() with the frames already chosen (the facade computes them on the main thread). */
  async prefetchFrames(frames: readonly [InstanceRef, number][], opts: { pin?: InstanceRef[][] } = {}): Promise<void> {
    this.#checkOpen();
    for (const [instance, frameNumber] of frames) {
      checkInstance(instance);
      checkFrameNumber(frameNumber, instance.frameCount);
    }
    const pin = (opts.pin ?? []).map((level) => level.map((i) => checkInstance(i)));
    this.#planner.plan(frames, pin);
  }

  #warnUnsorted(instanceUrl: string): void {
    if (this.#warnedUnsorted) return;
    this.#warnedUnsorted = true;
    this.#logger.warn('frame numbers were not sorted; sorting them costs time (logged once)', { instanceUrl });
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
    if (this.#closed) throw closedError();
  }

  async #read(
    instance: InstanceRef,
    frameNumber: number,
    hint: Hint,
    signal: AbortSignal | undefined,
    priority: PriorityRank,
    tally: Tally | undefined,
  ): Promise<Uint8Array | undefined> {
    const { url } = instance;
    const key = frameKey(url, frameNumber);
    const hit = this.#lru.get(key);
    if (hit !== undefined) {
      this.#countHit(key, frameNumber, hit, tally);
      return hit;
    }
    this.#stats.noteFrameRead(frameNumber);
    this.#stats.add('misses');
    if (tally) tally.misses++;
    // 'minimize-requests' and 'no-wait' start the original's window; a single-frame instance
    // has no block, so every hint loads it as the original did.
    const seed = hint !== 'minimize-latency' || instance.frameCount === 1;
    let visibleRequest = false;
    let overtake = false;
    if (!seed && priority === VISIBLE) this.#misses.noteVisibleRead(instance, frameNumber);
    if (!this.#loader.isLoading(url, frameNumber)) {
      if (seed) this.#misses.startSeedLoad(instance, frameNumber, priority);
      else if (priority === VISIBLE) visibleRequest = true;
      else this.#misses.startBackground(instance, frameNumber, priority);
    } else if (!seed && priority === VISIBLE) {
      overtake = visibleRequest = this.#overtakes && this.#behindBackground(url, frameNumber);
      this.#misses.readAhead(instance, frameNumber);
    }
    const flushed = visibleRequest ? this.#misses.addVisible(instance, frameNumber, overtake) : undefined;
    if (hint === 'no-wait') return undefined;
    const start = this.#clock.now();
    // An abort while the batch window is open rejects at once, as every wait does; the frame
    // still leaves with its batch (the window is at most maxMs).
    if (flushed !== undefined) await (signal === undefined ? flushed : raceAbort(flushed, signal));
    const bytes = await this.#loader.wait(url, frameNumber, signal, priority);
    // A visible request's wait counts in latencyFrameReadMs at delivery, not in blockedMs.
    if (!visibleRequest) this.#stats.add('blockedMs', this.#clock.now() - start);
    if (bytes !== undefined) this.#planner.noteRead(key, bytes.byteLength);
    return bytes;
  }

  #countHit(key: string, frameNumber: number, hit: Uint8Array, tally: Tally | undefined): void {
    this.#stats.noteFrameRead(frameNumber);
    this.#stats.add('hits');
    if (tally) tally.hits++;
    this.#planner.noteRead(key, hit.byteLength);
  }

  /** Background requests at most in flight: every slot but one, kept for a visible request. */
  #maxBackground(): number {
    return Math.max(1, this.#options.maxConcurrentRequests - 1);
  }

  /**
   * Whether a level read in order should read the rest of `instance` whole (MissPlanner,
   * docs/scheduler.md "A level read in order"): the link learner expects it to end well before
   * the remaining chunks, and the whole instance (its frames measured so far times its frame
   * count) takes at most half the memory tier, so it does not evict what the reader is about to
   * read or most of what other levels hold.
   */
  #wholeReadPays(instance: InstanceRef, chunksLeft: number, chunkFrames: number): boolean {
    const frameBytes = this.#links.instanceFrameBytes(instance.url);
    if (frameBytes === undefined || frameBytes * instance.frameCount > this.#lru.maxBytes / 2) return false;
    const slots = this.#links.backgroundSlots(instance.url, chunkFrames, this.#maxBackground());
    return this.#links.wholeReadFaster(instance.url, instance.frameCount, chunksLeft, chunkFrames, slots);
  }

  /**
   * Whether a visible frame that a background chunk brings would come sooner in a visible
   * request of its own (docs/scheduler.md, "Overtaking a chunk"): the chunk delivers in list
   * order, sharing the link with the other requests, so a frame far down a long chunk on a slow
   * link waits for every frame before it (a pan at 80 ms / 40 Mbit/s waited 697 ms where one
   * request per view took 116 ms). Judged on what the link learner measured; never before.
   */
  #behindBackground(url: string, frameNumber: number): boolean {
    const position = this.#loader.positionInBackground(url, frameNumber);
    const link = this.#links.estimate(url);
    if (position === undefined || link === undefined || !(link.bytesPerMs > 0) || !(link.meanFrameBytes > 0))
      return false;
    const share = link.bytesPerMs / Math.max(1, position.running);
    const viaChunk =
      (position.started ? 0 : link.firstFrameMs) + ((position.framesBefore + 1) * link.meanFrameBytes) / share;
    const own = link.firstFrameMs + link.meanFrameBytes / (link.bytesPerMs / (position.running + 1));
    return viaChunk > OVERTAKE_FACTOR * own;
  }

  #admit(instanceUrl: string, frameNumber: number, bytes: Uint8Array, fromSpill: boolean): Uint8Array {
    const key = frameKey(instanceUrl, frameNumber);
    const cached = this.#lru.peek(key);
    if (cached !== undefined) return cached;
    // One copy, so a cached tile never pins a whole response. Spill reads are fresh buffers.
    const kept =
      fromSpill && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
    const pin = this.#planner.admit(instanceUrl, key, kept.byteLength);
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
