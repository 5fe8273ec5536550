/** Public value types shared by the engine, the facade and the DICOMweb layer. */
import type { LinkEstimate } from './link-learner.js';
import type { Logger } from './ports.js';

/**
 * What a miss does: 'minimize-requests' waits for the block (or whole instance) around the frame;
 * 'minimize-latency' fetches the frame alone first, then the block; 'no-wait' starts the load
 * and resolves `undefined` at once.
 */
export type Hint = 'minimize-requests' | 'minimize-latency' | 'no-wait';

/** Fetch cache modes an app may ask for (`only-if-cached` needs same-origin mode: left out). */
export type HttpCacheMode = 'default' | 'no-store' | 'reload' | 'no-cache' | 'force-cache';
export const HTTP_CACHE_MODES: readonly HttpCacheMode[] = ['default', 'no-store', 'reload', 'no-cache', 'force-cache'];

/** A load's priority: 'visible' (getFrame's default) > 'prefetch' > 'preload'. */
export type Priority = 'visible' | 'prefetch' | 'preload';

/** An instance as the cache sees it. `url` is the absolute WADO-RS instance URL. */
export interface InstanceRef {
  url: string;
  frameCount: number;
}

/**
 * Request headers: a record, or a function of the request URL (the app decides which origin
 * gets a token). FrameCache calls the function on the main thread, per request. Never stored or logged.
 */
export type HeadersProvider =
  Record<string, string> | ((url: string) => Record<string, string> | Promise<Record<string, string>>);

/** The opt-in IndexedDB tier (`spill` option). */
export interface SpillOptions {
  /** Bound of the IndexedDB tier in bytes (integer >= 1). @default 1 GiB */
  maxBytes?: number;
  /** Entries older than this are ignored and deleted (integer >= 1). @default 24 h */
  maxAgeMs?: number;
  /** IndexedDB database name (non-empty). @default 'dicomweb-frame-cache' */
  dbName?: string;
  /** Entries of one namespace are never served to another: set one per signed-in user. @default '' */
  namespace?: string;
}

/** Options shared by `FrameCache` and `FrameCacheEngine` (docs/design.md, "Public API"). */
export interface FrameCacheOptions {
  /** Request headers, static or per request URL (the app decides which origin gets a token). Never stored or logged. */
  headers?: HeadersProvider;
  /** Memory bound in bytes: integer >= 1, or Infinity. @default 256 MiB */
  maxBytes?: number;
  /** Frames loaded around a miss in block mode (integer >= 1). @default 500 */
  framesPerMiss?: number;
  /**
   * Instances with fewer frames are fetched whole on a miss; 0 = never (integer >= 0).
   * Left unset the cache may choose adaptively, never slower than block mode on that server.
   * @default behaves as 10000 until the cache knows better
   */
  wholeInstanceMaxFrames?: number;
  /** Frame numbers per WADO-RS request (integer >= 1). @default 400 */
  framesPerRequest?: number;
  /** HTTP requests in flight at once (integer >= 1). @default 4 */
  maxConcurrentRequests?: number;
  /**
   * Idle timeout in ms: no byte for this long aborts the request, then retried (integer >= 1); also
   * the window of the low-speed limit: a body bringing under 1 KiB a second over it is aborted the
   * same way. @default 30000
   */
  requestTimeoutMs?: number;
  /** Retries of 429/500/502/503/504 and network errors (integer >= 0). @default 3 */
  maxRetries?: number;
  /**
   * What a miss does: `'minimize-latency'` sends the misses that arrive together as one request
   * of exactly those frames and reads the rest of their aligned block behind it (docs/scheduler.md);
   * `'minimize-requests'` waits for the original's window; `'no-wait'` starts it and resolves
   * `undefined`. @default 'minimize-latency'
   */
  hint?: Hint;
  /**
   * The fetch `cache` mode of every DICOMweb request. Unset, none is sent: the browser's HTTP
   * cache and proxies may answer where the server's headers allow it (docs/http-caching.md).
   * @default unset
   */
  httpCache?: HttpCacheMode;
  /** The IndexedDB tier (opt-in: frames can be patient data on disk). @default false */
  spill?: false | SpillOptions;
  /** Structured logger. @default silent */
  logger?: Logger;
}

/** Options of getFrame and getFrames. */
export interface FrameRequestOptions {
  /** This call's miss policy. @default the cache's `hint` */
  hint?: Hint;
  /** Aborting rejects this call at once with `signal.reason`; a queued request nobody waits for is dropped. */
  signal?: AbortSignal;
  /** @default 'visible' */
  priority?: Priority;
}

/** Options of preload; `C` is the cache class (FrameCache or FrameCacheEngine). */
export interface PreloadOptions<C> {
  /** Copy what this other cache holds in memory before fetching (no stats change on either side). */
  copyFrom?: C;
  /** Resolve only when the frames are loaded. @default true */
  blocking?: boolean;
  /** Called as frames become available: (done, total). */
  onProgress?: (doneFrames: number, totalFrames: number) => void;
}

/**
 * Counters of one cache (`stats()`). Counters only grow until `resetStats()` sets them to 0;
 * gauges (memoryBytes, inFlight, queued, spillStoredBytes, spillErrors) are read when `stats()`
 * is called and are not reset. Times are milliseconds on the cache's clock (performance.now).
 */
export interface CacheStats {
  /** Frame reads answered from memory (the page's hot tier included). Counter. */
  hits: number;
  /** Frame reads not in memory; a frame then found in IndexedDB is a miss and a spillHit. Counter. */
  misses: number;
  /** Lowest frame number read (getFrame, getFrames) since the last reset; absent before the first read. */
  firstFrameRead?: number;
  /** Highest frame number read since the last reset; absent before the first read. */
  lastFrameRead?: number;
  /** Frame-list loads (block mode) that ended, counted when they end. Counter. */
  blockReads: number;
  /** Frames those block loads delivered from the network. Counter. */
  blockFrames: number;
  /** Bytes of those frames (as kept, after parsing). Counter, bytes. */
  blockBytes: number;
  /** Time from a block load's first request to its end, summed. Counter, ms. */
  blockReadMs: number;
  /** Whole-instance loads that ended. Counter. */
  instanceReads: number;
  /** Frames whole-instance loads delivered. Counter. */
  instanceFrames: number;
  /** Bytes of those frames. Counter, bytes. */
  instanceBytes: number;
  /** Time from a whole-instance load's request to its end, summed. Counter, ms. */
  instanceReadMs: number;
  /** Single-frame side fetches made by 'minimize-latency' misses, counted at delivery. Counter. */
  latencyFrameReads: number;
  /** Time from such a miss to its frame's delivery, summed. Counter, ms. */
  latencyFrameReadMs: number;
  /** Time callers waited for loads the cache started (from the miss until their frame resolved), plus waitForLoads. Counter, ms. */
  blockedMs: number;
  /** Bytes held in memory now (frames and putExternal bytes). Gauge, bytes. */
  memoryBytes: number;
  /** The memory bound (`maxBytes`); absent when it is Infinity. Bytes. */
  memoryLimitBytes?: number;
  /** HTTP requests sent, retries included. Counter. */
  requests: number;
  /** Logical requests that failed after their retries (their frames resolved undefined). Counter. */
  failedRequests: number;
  /** Attempts repeated after a retryable failure (429, 5xx, network error, timeout, cut-short answer). Counter. */
  retries: number;
  /** Attempts aborted because no byte arrived for `requestTimeoutMs`, or under 1 KiB a second over it. Counter. */
  timeouts: number;
  /** Response body bytes received from the network. Counter, bytes. */
  bytesReceived: number;
  /** HTTP requests running now. Gauge. */
  inFlight: number;
  /** Requests waiting for a free slot (`maxConcurrentRequests`) now. Gauge. */
  queued: number;
  /** Queued requests dropped unsent because every caller waiting on them left (abort, prefetch replaced). Counter. */
  cancelled: number;
  /**
   * Background requests stopped part way because a visible request started and they would have
   * held the link in front of it; their remaining frames were asked again after it
   * (docs/scheduler.md, "Yielding the link"). Counter.
   */
  yieldedRequests: number;
  /**
   * Instances read whole because a reader went through them in order (a level read): after
   * three consecutive chunks, waiting in the first and the last (a chunk read from memory between
   * two waits counts), where the link's timing said one whole read beats the remaining chunks
   * (docs/scheduler.md, "A level read in order"). Counter.
   */
  inOrderWholeReads: number;
  /** Frames read from the IndexedDB tier. Counter. */
  spillHits: number;
  /** Bytes of those frames. Counter, bytes. */
  spillHitBytes: number;
  /** Bytes the IndexedDB tier holds now (all namespaces of its database). Gauge, bytes; 0 without `spill`. */
  spillStoredBytes: number;
  /** Failures of the IndexedDB tier since it opened (open, quota, damaged records), each logged. Not reset by resetStats. */
  spillErrors: number;
  /** Frames (or external entries) evicted to stay within `maxBytes`. Counter. */
  evictions: number;
  /**
   * Shared mode (FrameCache with a SharedWorker): this tab's hits and misses (its hot-tier hits
   * included); every other field is the total of all tabs. One tab's resetStats() zeroes the
   * totals and every tab's part with them.
   */
  tab?: { hits: number; misses: number };
  /**
   * What the cache learned of each server origin from its own requests: time to the first
   * frame of an answer, answer rate, mean frame size (see LinkEstimate). Sizes the background
   * reads; empty until a request has ended.
   */
  links: LinkEstimate[];
  /** The decoded tier of `getTile` (FrameCache only), once a tile was asked for. */
  decoded?: DecodedTierStats;
}

/** The counters of the worker's decoded-tile tier (`getTile`, docs/decoding.md). */
export interface DecodedTierStats {
  /** Tiles held and their bytes (width x height x 4), against the bound. */
  tiles: number;
  bytes: number;
  maxBytes: number;
  hits: number;
  misses: number;
  /** Tiles decoded, the time spent decoding them (ms), frames that failed to decode. */
  decoded: number;
  decodeMs: number;
  errors: number;
  evictions: number;
}

/** Anything holding instances: a `Level` from `openSlide` qualifies. */
export interface InstanceGroup {
  instances: readonly InstanceRef[];
}

/** The least of a `Level` (openSlide) that prefetch needs. */
export interface TiledLevel {
  width: number;
  height: number;
  frameWidth: number;
  frameHeight: number;
  frameAt(x: number, y: number): { instance: InstanceRef; frameNumber: number } | undefined;
}

/** A viewport rectangle in pixels of a level (x = column, y = row of its total pixel matrix). */
export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Options of prefetch. */
export interface PrefetchOptions {
  /** Rings of tiles around the region to load too. @default 1 */
  ring?: number;
  /** Levels to keep whole and never evict (the coarsest ones, a few MB): zooming out never shows grey. */
  pin?: readonly InstanceGroup[];
}
