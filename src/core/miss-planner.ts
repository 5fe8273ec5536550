/**
 * What a miss loads (docs/design.md, "Scheduler"; docs/scheduler.md). Two policies:
 *
 * - Visible first (the default, `'minimize-latency'`): the misses that arrive
 *   together (one task of the page, or calls queued before the engine's deferred flush runs) go
 *   out at once as one visible request of exactly those frames; the rest of their aligned block
 *   (or the whole instance, below the app's `wholeInstanceMaxFrames` or for a level read in order
 *   where a whole read is much faster) follows at background priority in aligned
 *   chunks (aligned-chunks.ts) that start only once the visible answer no longer needs the link.
 * - The Python original's `'minimize-requests'` (and `'no-wait'`): the forward-biased window of
 *   framesPerMiss frames, clipped against loads in flight, or the whole instance below the
 *   threshold; the caller waits for it (docs/seed-behaviour.md), where `'no-wait'` resolves
 *   `undefined` at once. Kept exactly, for engine users who ask.
 */
import { backgroundChunks, chunkFrames, chunkFramesFor, chunkIndexOf } from './aligned-chunks.js';
import { clipWindow, missWindow } from './frame-ranges.js';
import { BACKGROUND, VISIBLE, type PriorityRank } from './in-flight.js';
import type { Loader } from './loader.js';
import type { ModeLearner } from './mode-learner.js';
import type { Clock, Timers } from './ports.js';
import { DEFAULT_WHOLE_INSTANCE_MAX_FRAMES } from './options.js';
import type { InstanceRef } from './types.js';

export interface MissPlannerDeps {
  loader: Loader;
  modeLearner: ModeLearner;
  isCached(instanceUrl: string, frameNumber: number): boolean;
  clock: Clock;
  timers: Timers;
  /** See PlatformDefaults.batchWindow; undefined: a microtask. */
  batchWindow: { quietMs: number; maxMs: number } | undefined;
  framesPerMiss: number;
  /** undefined: left unset, the learner decides. */
  wholeInstanceMaxFrames: number | undefined;
  /** The app's framesPerRequest when it set one: the aligned chunk size then. */
  explicitFramesPerRequest: number | undefined;
  /**
   * Whether reading the instance whole beats reading its `chunksLeft` remaining chunks of
   * `chunkFrames` (timing learned from the link, and the memory tier can hold the instance).
   * Absent: never.
   */
  wholeReadPays?(instance: InstanceRef, chunksLeft: number, chunkFrames: number): boolean;
  /** Counts a level read in order that went on whole (stats `inOrderWholeReads`). */
  onInOrderWhole?(): void;
}

/** How far past the chunk a waiting visible read is in, read-ahead looks for one to send. */
const READ_AHEAD_CHUNKS = 2;
/**
 * A reader that waited on loading frames in this many consecutive chunks, in order, reads the
 * instance in order (a level read, not a view): the rest may go whole (docs/scheduler.md, "A
 * level read in order"). Three, so a pan that crosses one chunk boundary never reads a level.
 */
export const IN_ORDER_CHUNKS = 3;
/** Chunks that must still be ahead of the reader for a whole read to be worth its extra bytes. */
export const IN_ORDER_MIN_CHUNKS_LEFT = 4;
/** Instances whose reading order is followed (the most recent). */
const ORDERS_KEPT = 64;
/**
 * Frames read in frame order, after which an instance counts as read in order (a level read, not
 * a viewer's 2D view) and read-ahead serves it. Counted at visible misses and waits: one of frame
 * n continues the count from the previous one at m when n = m + 1, or when every frame between
 * them is in memory (the reader read them from there: hits, in the worker or in the page's hot
 * tier, never reach this count); otherwise the count starts again. A view asks for a rectangle of
 * tiles: its rows run in frame order for at most its width (6 tiles in the trace, 16 on a 4K
 * screen of 256-pixel tiles) and the frames between its rows are not in memory when its tiles
 * wait, so a view stays below it unless it spans a level's whole width for several rows (then it
 * is read in order). A level reader with 16 tiles in flight reaches it in its first 32 reads (16
 * misses, 16 waits on the chunk behind them), one with fewer at its first wait in the next chunk.
 */
export const IN_ORDER_READS = 32;
/** The widest gap, in frames, checked for frames in memory (a whole chunk at most). */
const IN_ORDER_MAX_GAP = 1024;

/** How a reader went through an instance's chunks (readAhead). */
interface ReadOrder {
  /** The furthest chunk a waiting read was in. */
  chunk: number;
  /**
   * Consecutive chunks, up to `chunk`, the reader went through: it waited in each, or found one
   * whole in memory between two waits (#readThrough).
   */
  run: number;
  /** The rest of the instance was asked whole: not again. */
  whole: boolean;
  /**
   * The reader's chunk whose read-ahead found nothing left to start (every frame of the
   * READ_AHEAD_CHUNKS chunks after it cached or loading, when it walked): later waits in that
   * chunk skip the walk. A miss on the instance forgets it (frames went missing: evicted, a load
   * failed or was dropped), so the next wait walks again.
   */
  readAheadDone?: number;
}

interface BatchEntry {
  instance: InstanceRef;
  frames: Set<number>;
  /** Frames loading already, in a request so far behind that the visible one overtakes it. */
  overtaken: Set<number>;
}

export class MissPlanner {
  readonly #deps: MissPlannerDeps;
  #batch = new Map<string, BatchEntry>();
  #flushed: Promise<void> | undefined;
  #flush: (() => void) | undefined;
  #openedAt = 0;
  #timer: unknown;
  readonly #orders = new Map<string, ReadOrder>();
  /** Per instance: the last visible miss or wait, and how many before it came in frame order. */
  readonly #readRuns = new Map<string, { last: number; run: number }>();

  constructor(deps: MissPlannerDeps) {
    this.#deps = deps;
  }

  /**
   * Adds a visible miss to the batch that goes out at the next flush; resolves once the batch
   * was sent (the frame is loading then, or cached).
   */
  addVisible(instance: InstanceRef, frameNumber: number, overtake = false): Promise<void> {
    this.#forgetReadAhead(instance.url);
    let entry = this.#batch.get(instance.url);
    if (entry === undefined) {
      entry = { instance, frames: new Set(), overtaken: new Set() };
      this.#batch.set(instance.url, entry);
    }
    entry.frames.add(frameNumber);
    if (overtake) entry.overtaken.add(frameNumber);
    const window = this.#deps.batchWindow;
    if (this.#flushed === undefined) {
      this.#flushed = new Promise((resolve) => {
        this.#flush = () => {
          this.#flushed = undefined;
          this.#flush = undefined;
          const batch = this.#batch;
          this.#batch = new Map();
          const sent = [...batch.values()].map((batched) => this.#sendVisible(batched));
          // The blocks behind the view are planned a microtask later, after the requests just
          // started reach fetch(): planning the chunks of a large level marks hundreds of
          // frames loading (docs/worker-cost.md, "The view's requests before its blocks").
          queueMicrotask(() => {
            for (const visible of sent) this.#planBackground(visible.instance, visible.sorted, BACKGROUND, true);
          });
          resolve();
        };
      });
      this.#openedAt = this.#deps.clock.now();
      if (window === undefined) {
        const flush = this.#flush!;
        void Promise.resolve().then(flush);
        return this.#flushed;
      }
    }
    if (window !== undefined) {
      // Until no miss came for quietMs, at most maxMs after the first.
      const { timers, clock } = this.#deps;
      timers.clearTimeout(this.#timer);
      const left = this.#openedAt + window.maxMs - clock.now();
      this.#timer = timers.setTimeout(this.#flush!, Math.max(0, Math.min(window.quietMs, left)));
    }
    return this.#flushed;
  }

  /** A miss at another priority (prefetch, preload): its aligned block at that priority, no visible request. */
  startBackground(instance: InstanceRef, frameNumber: number, priority: PriorityRank): void {
    this.#forgetReadAhead(instance.url);
    this.#planBackground(instance, [frameNumber], priority);
  }

  /** A visible read missed or waits (not a hit): counts reads in frame order (IN_ORDER_READS). */
  noteVisibleRead(instance: InstanceRef, frameNumber: number): void {
    const runs = this.#readRuns;
    const { url } = instance;
    const entry = runs.get(url);
    if (entry === undefined) {
      runs.set(url, { last: frameNumber, run: 1 });
      if (runs.size > ORDERS_KEPT) runs.delete(runs.keys().next().value!);
      return;
    }
    // Reached once, an instance stays read in order while its entry is kept.
    if (entry.run >= IN_ORDER_READS) return;
    const gap = frameNumber - entry.last;
    if (gap === 0) return; // the same frame asked again (a viewer's retry): no step either way
    entry.run = gap >= 1 && this.#inMemoryBetween(url, entry.last, frameNumber) ? entry.run + gap : 1;
    entry.last = frameNumber;
  }

  /** Whether every frame strictly between `from` and `to` is in memory (none when they are adjacent). */
  #inMemoryBetween(url: string, from: number, to: number): boolean {
    if (to - from > IN_ORDER_MAX_GAP) return false;
    const { isCached } = this.#deps;
    for (let n = from + 1; n < to; n++) if (!isCached(url, n)) return false;
    return true;
  }

  /**
   * A visible read waits on a frame still loading: the reader has caught up with the cache. For
   * a reader in frame order (a level read: IN_ORDER_READS), the first chunk after the frame's
   * own that is not already cached or loading (at most READ_AHEAD_CHUNKS on) goes out too, at
   * background priority, so the next request is on its way while this one arrives. Looking past
   * a chunk that is already loading keeps one request ahead of the reader: measured on the cold
   * read of the 768-frame level (3 chunks), stopping at the next chunk left the third to start
   * only when the reader reached the second. A viewer's view that waits gets nothing read
   * ahead: the chunk after a rectangle's rows is a guess no view asked for, and with viewers
   * sharing an HTTP cache it was one block more at the archive than their views need
   * (docs/http-caching.md; issue 16).
   */
  readAhead(instance: InstanceRef, frameNumber: number): void {
    const { frameCount } = instance;
    const size = chunkFramesFor(frameCount, this.#deps.explicitFramesPerRequest);
    const own = chunkIndexOf(frameNumber, size);
    const lastChunk = chunkIndexOf(frameCount, size);
    const order = this.#orderOf(instance, own, size);
    if (this.#goesOnWhole(instance, order, lastChunk - own, size)) return;
    if ((this.#readRuns.get(instance.url)?.run ?? 0) < IN_ORDER_READS) return;
    // Called for every visible read that waits: walking up to two chunks' frames each time cost
    // the worker ~14 ms of a 768-frame level read (docs/worker-cost.md, "Read-ahead's walk").
    // Until a miss on the instance clears it, a frame of those chunks that stopped loading (a
    // failed or dropped load) or was evicted is not read ahead; its own read misses and loads it.
    if (order.readAheadDone === own) return;
    const last = Math.min(lastChunk, own + READ_AHEAD_CHUNKS);
    for (let next = own + 1; next <= last; next++) if (this.#startChunk(instance, next, size, BACKGROUND)) return;
    order.readAheadDone = own;
  }

  /** The reading order of an instance, with a wait in chunk `own` counted. */
  #orderOf(instance: InstanceRef, own: number, size: number): ReadOrder {
    const { url } = instance;
    let order = this.#orders.get(url);
    if (order === undefined) {
      order = { chunk: own, run: 1, whole: false };
      this.#orders.set(url, order);
      if (this.#orders.size > ORDERS_KEPT) this.#orders.delete(this.#orders.keys().next().value!);
    } else if (
      own === order.chunk + 1 ||
      (own > order.chunk && this.#readThrough(instance, order.chunk + 1, own, size))
    ) {
      order.run += own - order.chunk;
      order.chunk = own;
    } else if (own > order.chunk) {
      order.chunk = own;
      order.run = 1;
    }
    return order;
  }

  /**
   * Whether a reader that waited in chunk `from - 1` and now waits in chunk `to` went through the
   * chunks between, read from memory: at most READ_AHEAD_CHUNKS of them, each cached whole. A
   * chunk that came before the reader got to it (several requests at once on a busy server
   * finish out of order) is read without a wait; counting it as a skip started the count again,
   * and the 51,200-frame level once went on whole only after 23 chunk requests (10.3 s where it
   * takes 3.3-5.2 s: docs/scheduler.md, "Chunks that came before the reader"). A chunk cached
   * only in part, or still loading, was jumped. Runs once per chunk the reader reaches.
   */
  #readThrough(instance: InstanceRef, from: number, to: number, size: number): boolean {
    if (to - from > READ_AHEAD_CHUNKS) return false;
    const { isCached } = this.#deps;
    for (let index = from; index < to; index++)
      for (const n of chunkFrames(index, size, instance.frameCount)) if (!isCached(instance.url, n)) return false;
    return true;
  }

  /** A miss on the instance: its frames may have gone missing, so read-ahead walks again. */
  #forgetReadAhead(url: string): void {
    const order = this.#orders.get(url);
    if (order !== undefined) order.readAheadDone = undefined;
  }

  /**
   * A level read in order: after waits in IN_ORDER_CHUNKS consecutive chunks, with at least
   * IN_ORDER_MIN_CHUNKS_LEFT ahead, the instance is read whole (at background priority, once)
   * where that is measured to pay (`wholeReadPays`). Every chunk costs the server a request on
   * the instance; on Orthanc that is a parse of the whole file, so the 51,200-frame level's 50
   * chunks cost ~50 parses of 105 MB against one for the whole file. Only where the app left
   * both `wholeInstanceMaxFrames` and `framesPerRequest` unset: either says how to read.
   */
  #goesOnWhole(instance: InstanceRef, order: ReadOrder, chunksLeft: number, size: number): boolean {
    const { wholeReadPays, wholeInstanceMaxFrames, explicitFramesPerRequest } = this.#deps;
    if (wholeReadPays === undefined || wholeInstanceMaxFrames !== undefined || explicitFramesPerRequest !== undefined)
      return false;
    if (order.whole || order.run < IN_ORDER_CHUNKS || chunksLeft < IN_ORDER_MIN_CHUNKS_LEFT) return false;
    if (!wholeReadPays(instance, chunksLeft, size)) return false;
    order.whole = true;
    this.#deps.loader.startInstance(instance.url, instance.frameCount, BACKGROUND, true);
    this.#deps.onInOrderWhole?.();
    return true;
  }

  /** The original's load for a miss (`'minimize-requests'`), unchanged. */
  startSeedLoad(instance: InstanceRef, frameNumber: number, priority: PriorityRank): void {
    this.#forgetReadAhead(instance.url);
    const { loader, isCached } = this.#deps;
    const { url, frameCount } = instance;
    if (this.#seedUsesWholeInstance(instance) && !this.allLoading(instance)) {
      loader.startInstance(url, frameCount, priority);
      return;
    }
    const cached = (n: number): boolean => isCached(url, n);
    const loading = (n: number): boolean => loader.isLoading(url, n);
    const window = missWindow(frameCount, frameNumber, this.#deps.framesPerMiss, cached);
    const clipped = window && clipWindow(window, loading);
    if (clipped === undefined) return;
    const frames: number[] = [];
    for (let n = clipped[0]; n <= clipped[1]; n++) if (!cached(n) && !loading(n)) frames.push(n);
    if (frames.length > 0) loader.startFrames('block', url, frames, priority);
  }

  allLoading(instance: InstanceRef): boolean {
    for (let n = 1; n <= instance.frameCount; n++) if (!this.#deps.loader.isLoading(instance.url, n)) return false;
    return true;
  }

  /** Sends a batch entry's visible request; its frames sorted, for the block planned behind it. */
  #sendVisible({ instance, frames, overtaken }: BatchEntry): { instance: InstanceRef; sorted: number[] } {
    const { loader, isCached } = this.#deps;
    const { url } = instance;
    const sorted = [...frames].sort((a, b) => a - b);
    const missing = sorted.filter((n) => !isCached(url, n) && (overtaken.has(n) || !loader.isLoading(url, n)));
    if (missing.length > 0) loader.startFrames('latency', url, missing, VISIBLE, true);
    return { instance, sorted };
  }

  /** With `front`, the chunks go before those queued at that priority (the newest view's first). */
  #planBackground(instance: InstanceRef, frames: readonly number[], priority: PriorityRank, front = false): void {
    const { loader, isCached, framesPerMiss, explicitFramesPerRequest } = this.#deps;
    const { url, frameCount } = instance;
    if (frameCount === 1) {
      if (!isCached(url, 1) && !loader.isLoading(url, 1)) loader.startFrames('block', url, [1], priority);
      return;
    }
    if (this.#backgroundUsesWholeInstance(instance)) {
      if (!this.allLoading(instance)) loader.startInstance(url, frameCount, priority);
      return;
    }
    const size = chunkFramesFor(frameCount, explicitFramesPerRequest);
    const chunks = backgroundChunks(frames, frameCount, size, framesPerMiss);
    // A view's chunks go before what older views left queued (a level zoomed away from),
    // nearest first: each to the front, so in reverse order.
    for (const index of front ? chunks.toReversed() : chunks) this.#startChunk(instance, index, size, priority, front);
  }

  /** Sends chunk `index` whole unless all its frames are cached or loading; whether it did. */
  #startChunk(instance: InstanceRef, index: number, size: number, priority: PriorityRank, front = false): boolean {
    const { loader, isCached } = this.#deps;
    const { url, frameCount } = instance;
    const chunk = chunkFrames(index, size, frameCount);
    // Frames cached or loading elsewhere come again with the chunk and are dropped on arrival.
    // Loading first: no key built (isCached builds and hashes a string key per frame).
    const wanted = chunk.filter((n) => !loader.isLoading(url, n) && !isCached(url, n));
    if (wanted.length === 0) return false;
    loader.startFrames('block', url, wanted, priority, front, chunk);
    return true;
  }

  /** Set explicitly, the threshold is obeyed as is; left unset, the learner decides below it. */
  #seedUsesWholeInstance(instance: InstanceRef): boolean {
    const threshold = this.#deps.wholeInstanceMaxFrames;
    if (threshold !== undefined) return instance.frameCount < threshold;
    // An instance already partly read goes on in block mode: a whole-instance read would fetch
    // its frames again (and a learner's trial on it would cost a cold read twice the bytes).
    if (instance.frameCount >= DEFAULT_WHOLE_INSTANCE_MAX_FRAMES || this.#anyPresent(instance)) return false;
    return this.#deps.modeLearner.choose(instance.url, instance.frameCount) === 'instance';
  }

  /**
   * Behind a visible request the whole instance is read only where the app's threshold says so.
   * Left unset, aligned chunks: a choice learned from timing would differ between users (one
   * served by the archive, one by a shared HTTP cache in front of it) and their requests would
   * no longer match (measured in the shared-cache test: one user read a level whole, the next in
   * blocks). The first view does not depend on it: the visible request goes first either way.
   */
  #backgroundUsesWholeInstance(instance: InstanceRef): boolean {
    const threshold = this.#deps.wholeInstanceMaxFrames;
    return threshold !== undefined && instance.frameCount < threshold;
  }

  /** Whether any frame of the instance is cached or loading (the first one found ends the walk). */
  #anyPresent(instance: InstanceRef): boolean {
    const { loader, isCached } = this.#deps;
    if (loader.loads(instance.url).length > 0) return true;
    for (let n = 1; n <= instance.frameCount; n++) if (isCached(instance.url, n)) return true;
    return false;
  }
}
