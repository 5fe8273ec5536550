/** Public value types shared by the engine, the facade and the DICOMweb layer. */
import type { Logger } from './ports.js';

export type Hint = 'minimize-requests' | 'minimize-latency' | 'no-wait';

export type Priority = 'visible' | 'prefetch' | 'preload';

/** An instance as the cache sees it. `url` is the absolute WADO-RS instance URL. */
export interface InstanceRef {
  url: string;
  frameCount: number;
}

export type HeadersProvider =
  | Record<string, string>
  | ((url: string) => Record<string, string> | Promise<Record<string, string>>);

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

/** Options shared by `FrameCache` and `FrameCacheEngine` (DESIGN.md). */
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
  /** Idle timeout in ms: no byte for this long aborts the request, then retried (integer >= 1). @default 30000 */
  requestTimeoutMs?: number;
  /** Retries of 429/500/502/503/504 and network errors (integer >= 0). @default 3 */
  maxRetries?: number;
  /** What a miss does. @default 'minimize-requests' */
  hint?: Hint;
  /** The IndexedDB tier (opt-in: frames can be patient data on disk). @default false */
  spill?: false | SpillOptions;
  /** Structured logger. @default silent */
  logger?: Logger;
}

export interface FrameRequestOptions {
  hint?: Hint;
  signal?: AbortSignal;
  priority?: Priority;
}

export interface PreloadOptions<C> {
  /** Copy what this other cache holds in memory before fetching (no stats change on either side). */
  copyFrom?: C;
  /** Resolve only when the frames are loaded. @default true */
  blocking?: boolean;
  /** Called as frames become available: (done, total). */
  onProgress?: (doneFrames: number, totalFrames: number) => void;
}

export interface CacheStats {
  hits: number;
  misses: number;
  firstFrameRead?: number;
  lastFrameRead?: number;
  blockReads: number;
  blockFrames: number;
  blockBytes: number;
  blockReadMs: number;
  instanceReads: number;
  instanceFrames: number;
  instanceBytes: number;
  instanceReadMs: number;
  latencyFrameReads: number;
  latencyFrameReadMs: number;
  blockedMs: number;
  memoryBytes: number;
  memoryLimitBytes?: number;
  requests: number;
  failedRequests: number;
  retries: number;
  timeouts: number;
  bytesReceived: number;
  inFlight: number;
  queued: number;
  cancelled: number;
  spillHits: number;
  spillHitBytes: number;
  spillStoredBytes: number;
  spillErrors: number;
  evictions: number;
  tab?: { hits: number; misses: number };
  /** The decoded tier of `getTile` (FrameCache only), once a tile was asked for. */
  decoded?: {
    tiles: number;
    bytes: number;
    maxBytes: number;
    hits: number;
    misses: number;
    decoded: number;
    decodeMs: number;
    errors: number;
    evictions: number;
  };
}

/** Anything holding instances: a `Level` from `openSlide` qualifies. */
export interface InstanceGroup {
  instances: readonly InstanceRef[];
}
