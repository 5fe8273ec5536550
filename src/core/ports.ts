/**
 * The engine's view of the platform: tiny structural interfaces, injected. The core never
 * reaches for a global (docs/design.md, "Conventions"); the worker, the facade and tests wire real or fake ones.
 */

/** Monotonic milliseconds (performance.now in browsers, a fake in tests). */
export interface Clock {
  now(): number;
}

/** Timers, wrapped as `(cb, ms) => setTimeout(cb, ms)` so tests can swap them. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface LogFields {
  [field: string]: unknown;
}

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** The least of a WHATWG ReadableStream reader that the transport uses. */
export interface ByteStreamReader {
  read(): Promise<{ done: boolean; value?: Uint8Array | undefined }>;
  cancel(reason?: unknown): Promise<void>;
  releaseLock(): void;
}

export interface ByteStream {
  getReader(): ByteStreamReader;
}

export interface HeadersLike {
  get(name: string): string | null;
}

export interface ResponseLike {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly headers: HeadersLike;
  readonly body: ByteStream | null;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface RequestInitLike {
  method?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** `globalThis.fetch` satisfies this; so does any test double. */
export type FetchLike = (url: string, init?: RequestInitLike) => Promise<ResponseLike>;

export type FrameCallback = (frameNumber: number, bytes: Uint8Array) => void;

export interface SourceRequestOptions {
  signal: AbortSignal;
  /** Called before each retry: attempt is 1-based, reason says why (e.g. 'http 503', 'timeout'). */
  onRetry?: (attempt: number, reason: string) => void;
  /** Called once per HTTP response body byte chunk received, for the bytesReceived stat. */
  onBytes?: (byteCount: number) => void;
  /** Called when an attempt was aborted because no byte arrived for requestTimeoutMs, or too few (the low-speed limit). */
  onTimeout?: () => void;
}

/**
 * One logical HTTP request per call, its retries included. Frames are delivered one by one
 * as each is complete and verified; each frame at most once. Resolves when the answer ended;
 * rejects with a FrameCacheError ('http' | 'multipart' | 'part10' | 'timeout'); frames
 * delivered before a rejection stay valid. Bytes handed to `onFrame` may be views into a
 * larger buffer: the engine copies what it keeps.
 */
export interface FrameSource {
  fetchFrames(
    instanceUrl: string,
    frameNumbers: number[],
    onFrame: FrameCallback,
    opts: SourceRequestOptions,
  ): Promise<void>;
  fetchInstance(
    instanceUrl: string,
    onFrame: FrameCallback,
    opts: SourceRequestOptions,
  ): Promise<{ frameCount: number }>;
}

/**
 * The bounded, expiring IndexedDB tier as the engine sees it. Keys are strings the engine
 * builds from (instance URL, frame number); the store applies its namespace.
 */
export interface SpillStore {
  getMany(keys: string[]): Promise<(Uint8Array | undefined)[]>;
  /** Write-behind: queued, never throws. */
  putMany(entries: [string, Uint8Array][]): void;
  /** Resolves when queued writes are stored (or failed and counted). */
  flush(): Promise<void>;
  clear(): Promise<void>;
  stats(): { storedBytes: number; errors: number };
}
