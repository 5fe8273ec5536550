/**
 * FrameCache: the main-thread facade. The engine runs in a Web Worker (fetching, parsing and
 * a multi-hundred-MB cache stay off the main thread); a small hot tier here answers repeated
 * hits of visible tiles with a Map lookup instead of a worker round trip.
 */
import { closedError, invalidOption } from '../shared/errors.js';
import { randomUid } from '../shared/uid.js';
import { frameKey } from '../core/frame-key.js';
import { ByteLru } from '../core/byte-lru.js';
import { resolveOptions } from '../core/options.js';
import {
  checkExternal,
  checkFrameNumber,
  checkFrameRequest,
  checkFramesRequest,
  checkFunction,
  checkHint,
  checkInteger,
  checkPrefetch,
  checkPreload,
  checkWaitForLoads,
  checkWholeInstanceOptions,
  instancesOf,
  priorityName,
} from '../core/validate.js';
import type { FrameCacheApi } from '../core/cache-api.js';
import type {
  CacheStats,
  FrameCacheOptions,
  FrameRequestOptions,
  Hint,
  InstanceGroup,
  InstanceRef,
  PrefetchOptions,
  PreloadOptions,
  Region,
  TiledLevel,
} from '../core/types.js';
import type { Remote } from 'comlink';
import type {
  CreateEngineRequest,
  EngineCallbacks,
  FrameCallOptions,
  PackedFrames,
  TileCallOptions,
  WireOptions,
  WireResult,
  WorkerApi,
} from '../shared/protocol.js';
import type { PriorityRank } from '../core/in-flight.js';
import type { PixelFormat } from '../decode/pixel-format.js';
import { codecWasmUrls, type CodecWasmUrls } from '../decode/codec-wasm-urls.js';
import { viewFrames } from '../worker/frame-pusher.js';
import { PushReceiver } from './push-receiver.js';
import { runAbortable } from './abortable-call.js';
import { WorkerConnection, type WorkerLike } from './worker-connection.js';

export interface FrameCacheFacadeOptions extends FrameCacheOptions {
  /** Main-thread hot tier in bytes (0 = off): repeated hits cost a Map lookup. @default 8 MiB */
  hotBytes?: number;
  /** Makes the worker; by default the module's own worker file. */
  createWorker?: () => WorkerLike;
  /**
   * One engine for all tabs of the origin: a SharedWorker holding one memory LRU and one
   * request stream; a dedicated Worker where SharedWorker does not exist. Tabs share an
   * engine when their options match. @default true where SharedWorker exists
   */
  shared?: boolean;
  /**
   * Bound in bytes of the worker's decoded tier for `getTile` (a 256 x 256 tile takes 256 KiB);
   * 0 = keep no decoded tiles. @default 32 MiB
   */
  decodedBytes?: number;
}

const FACADE_KEYS = ['hotBytes', 'createWorker', 'shared', 'decodedBytes'];
const DEFAULT_HOT_BYTES = 8 * 1024 * 1024;
const DEFAULT_DECODED_BYTES = 32 * 1024 * 1024;

function defaultCreateWorker(): Worker {
  return new Worker(new URL('../worker/frame-cache.worker.ts', import.meta.url), { type: 'module' });
}

function defaultCreateSharedWorker(): SharedWorker {
  return new SharedWorker(new URL('../worker/frame-cache.shared-worker.ts', import.meta.url), {
    type: 'module',
    name: 'dicomweb-frame-cache',
  });
}

const hotKey = frameKey;

let nextEngineId = 1;
/** Resolved on the first getTile (reading `location` at import time would touch a browser global). */
let wasmUrls: CodecWasmUrls | undefined;
let nextProgressId = 1;

interface Shared {
  connection: WorkerConnection;
  parent: FrameCache;
}

/**
 * Reads DICOM frames (tiles) from a DICOMweb server through a worker-side cache.
 *
 * @example
 * import { FrameCache, openSlide } from 'dicomweb-frame-cache';
 * const slide = await openSlide('https://pacs.example/dicom-web/studies/1.2/series/3.4');
 * const cache = new FrameCache({ maxBytes: 512 * 1024 * 1024, headers: (url) => ({ Authorization: `Bearer ${token}` }) });
 * const { instance, frameNumber } = slide.levels[0]!.frameAt(0, 0)!;
 * const jpeg = await cache.getFrame(instance, frameNumber);
 */
export class FrameCache implements FrameCacheApi<FrameCache> {
  static #cloning: Shared | undefined;

  readonly #options: FrameCacheFacadeOptions;
  readonly #connection: WorkerConnection;
  readonly #engineId = nextEngineId++;
  readonly #hot: ByteLru<string> | undefined;
  readonly #decodedBytes: number;
  readonly #push: PushReceiver | undefined;
  readonly #progress = new Map<number, (done: number, total: number) => void>();
  #hotHits = 0;
  /** Lowest and highest frame number read from the hot tier since the last resetStats(). */
  #hotFirst: number | undefined;
  #hotLast: number | undefined;
  #hint: Hint;
  #cacheInstanceUid: string;
  #closed = false;

  constructor(options: FrameCacheFacadeOptions = {}) {
    const resolved = resolveOptions(options, FACADE_KEYS);
    const hotBytes = checkInteger('hotBytes', options.hotBytes ?? DEFAULT_HOT_BYTES, 0);
    checkFunction('createWorker', options.createWorker, 'a function returning a Worker');
    if (options.shared !== undefined && typeof options.shared !== 'boolean')
      throw invalidOption('shared', 'a boolean', options.shared);
    this.#decodedBytes = checkInteger('decodedBytes', options.decodedBytes ?? DEFAULT_DECODED_BYTES, 0);
    this.#options = options;
    this.#hint = resolved.hint;
    this.#hot = hotBytes > 0 ? new ByteLru<string>(hotBytes) : undefined;
    this.#push = this.#hot && new PushReceiver(this.#hot, hotKey);
    const cloning = FrameCache.#cloning;
    FrameCache.#cloning = undefined;
    if (cloning) {
      this.#connection = cloning.connection;
      this.#cacheInstanceUid = cloning.parent.#cacheInstanceUid;
      this.#hint = cloning.parent.#hint;
    } else {
      const shared = (options.shared ?? true) && typeof SharedWorker !== 'undefined';
      this.#connection = new WorkerConnection(
        options.createWorker ?? (shared ? defaultCreateSharedWorker : defaultCreateWorker),
      );
      this.#cacheInstanceUid = randomUid();
    }
    this.#connection.retain();
    const parentId = cloning === undefined ? undefined : cloning.parent.#engineId;
    this.#connection.register(this.#engineId, {
      request: () => this.#createRequest(parentId),
      onCreated: (uid) => (this.#cacheInstanceUid = uid),
      onPush: (packet) => {
        if (!this.#closed) this.#push?.receive(packet);
      },
    });
    this.#connection.start();
  }

  /** Identifies this cache in logs; kept by clone() and resetStats(). */
  get cacheInstanceUid(): string {
    return this.#cacheInstanceUid;
  }

  /** How many frames the main-thread hot tier holds now (diagnostics). */
  get hotFrameCount(): number {
    return this.#hot?.size ?? 0;
  }

  /** The hint used when a call gives none. */
  get hint(): Hint {
    return this.#hint;
  }

  set hint(value: Hint) {
    this.#hint = checkHint('hint', value);
    this.#call((r) => r.setHint(this.#engineId, this.#hint)).catch(() => undefined);
  }

  /** See FrameCacheApi.getFrame. A frame in the main-thread hot tier answers without a worker round trip. */
  async getFrame(
    instance: InstanceRef,
    frameNumber: number,
    opts?: FrameRequestOptions,
  ): Promise<Uint8Array | undefined> {
    this.#checkOpen();
    const { hint, signal, priority } = checkFrameRequest(instance, frameNumber, opts);
    // An aborted signal rejects at once, a hot-tier frame included (README).
    signal?.throwIfAborted();
    const hot = this.#hot?.get(hotKey(instance.url, frameNumber));
    // Never an empty frame: a caller that transferred its frame (README: do not) detached it.
    if (hot !== undefined && hot.byteLength > 0) {
      this.#hotHit(frameNumber);
      return hot;
    }
    const answer = this.#frameCall<Uint8Array | undefined>(instance, frameNumber, hint, signal, priority);
    // No hot tier, no pushes: the answer is all there is.
    if (this.#push === undefined) return answer;
    const key = hotKey(instance.url, frameNumber);
    // The worker pushes the frames of instances this tab reads: the frame may arrive that way
    // first (another call's load), so either the answer or the push resolves the call.
    const pushed = this.#push.whenPushed(key);
    try {
      const bytes = await Promise.race([answer, pushed.promise]);
      if (bytes !== undefined) this.#hot?.set(key, bytes);
      return bytes;
    } finally {
      pushed.cancel();
      answer.catch(() => undefined);
    }
  }

  /** See FrameCacheApi.getFrames: the frames not in the hot tier come back in one transferred buffer. */
  async getFrames(
    instance: InstanceRef,
    frameNumbers: number[],
    opts?: FrameRequestOptions,
  ): Promise<(Uint8Array | undefined)[]> {
    this.#checkOpen();
    const { hint, signal, priority } = checkFramesRequest(instance, frameNumbers, opts);
    signal?.throwIfAborted();
    const out: (Uint8Array | undefined)[] = Array.from({ length: frameNumbers.length });
    const missing: number[] = [];
    const missingAt: number[] = [];
    frameNumbers.forEach((n, i) => {
      const hot = this.#hot?.get(hotKey(instance.url, n));
      if (hot !== undefined && hot.byteLength > 0) {
        this.#hotHit(n);
        out[i] = hot;
      } else {
        missing.push(n);
        missingAt.push(i);
      }
    });
    if (missing.length === 0) return out;
    const packed = await this.#frameCall<PackedFrames>(instance, missing, hint, signal, priority);
    // One copy in all (the worker's pack): the caller gets views of the answer's buffer, the hot
    // tier its own copies a task later (docs/worker-cost.md).
    const keep: [string, Uint8Array][] = [];
    viewFrames(packed).forEach((bytes, j) => {
      out[missingAt[j]!] = bytes;
      if (bytes !== undefined) keep.push([hotKey(instance.url, missing[j]!), bytes]);
    });
    if (!this.#closed) this.#push?.keepLater(keep);
    return out;
  }

  /**
   * The frame decoded to an ImageBitmap in the worker (transferred, not copied; the caller owns
   * it: `close()` it when done). `instance` as `openSlide` gives it: its `pixelFormat` says how
   * the frame is encoded (without one, the frame's bytes decide: `sniffFrame`). JPEG via
   * the browser's decoder; JPEG 2000, HTJ2K and JPEG-LS via WASM codecs loaded on first use;
   * uncompressed and RLE Lossless. Resolves `undefined` where getFrame would; rejects with
   * 'unsupported-syntax' (naming the transfer syntax) or 'decode' (a corrupt frame).
   */
  async getTile(
    instance: InstanceRef & { pixelFormat?: PixelFormat },
    frameNumber: number,
    opts?: FrameRequestOptions,
  ): Promise<ImageBitmap | undefined> {
    this.#checkOpen();
    const { hint, signal, priority } = checkFrameRequest(instance, frameNumber, opts);
    const ref = { url: instance.url, frameCount: instance.frameCount };
    const format = instance.pixelFormat;
    const callOpts: TileCallOptions = {
      hint: hint ?? this.#hint,
      priority: priorityName(priority),
      pushEpoch: this.#push?.epoch ?? 0,
      decodedBytes: this.#decodedBytes,
      wasmUrls: (wasmUrls ??= codecWasmUrls(globalThis.location?.href ?? import.meta.url)),
    };
    let late: Promise<ImageBitmap | undefined> | undefined;
    try {
      return await runAbortable(
        signal,
        callOpts,
        (o) => {
          late = this.#call((r) => r.getTile(this.#engineId, ref, frameNumber, format, { ...callOpts, ...o }));
          return late;
        },
        (callId) => this.#connection.cancel(callId),
      );
    } catch (error) {
      // An aborted caller never sees the bitmap that may still arrive: free it.
      if (signal?.aborted)
        late?.then(
          (bitmap) => bitmap?.close(),
          () => undefined,
        );
      throw error;
    }
  }

  /** The frame if it is in memory now (hot tier or worker); never fetches. */
  async getCachedFrame(instanceUrl: string, frameNumber: number): Promise<Uint8Array | undefined> {
    this.#checkOpen();
    if (typeof instanceUrl !== 'string') throw invalidOption('instanceUrl', 'a string', instanceUrl);
    checkFrameNumber(frameNumber, Number.MAX_SAFE_INTEGER);
    const hot = this.#hot?.get(hotKey(instanceUrl, frameNumber));
    if (hot !== undefined && hot.byteLength > 0) return hot; // never a frame a caller transferred away
    return this.#call((r) => r.getCachedFrame(this.#engineId, instanceUrl, frameNumber));
  }

  /** See FrameCacheApi.preload; `onProgress` is called on the main thread. */
  async preload(frames: Record<string, number[]>, opts: PreloadOptions<FrameCache> = {}): Promise<void> {
    this.#checkOpen();
    // The engine's own check (the worker checks again: it cannot trust the page).
    const { plan, copyFrom, blocking, onProgress } = checkPreload<FrameCache>(frames, opts, () => undefined);
    if (copyFrom !== undefined && !(copyFrom instanceof FrameCache))
      throw invalidOption('copyFrom', 'a FrameCache', copyFrom);
    if (copyFrom !== undefined && copyFrom !== this) {
      const entries = await copyFrom.#exportFrames(frames);
      if (entries.length > 0) await this.#call((r) => r.importFrames(this.#engineId, entries));
    }
    const progressId = onProgress ? nextProgressId++ : undefined;
    let lastDone = -1;
    if (progressId !== undefined) {
      this.#progress.set(progressId, (done, total) => {
        lastDone = done;
        onProgress!(done, total);
      });
    }
    try {
      await this.#call((r) =>
        r.preload(this.#engineId, frames, { blocking, ...(progressId === undefined ? {} : { progressId }) }),
      );
      if (progressId !== undefined && blocking) {
        // Progress travels on another channel than the answer: the last report may still be on
        // its way. A blocking preload has settled every frame, so the caller sees (total, total).
        const total = plan.reduce((sum, [, list]) => sum + list.length, 0);
        if (lastDone < total) onProgress!(total, total);
      }
    } finally {
      if (progressId !== undefined && blocking) this.#progress.delete(progressId);
    }
  }

  /** See FrameCacheApi.prefetch: the tiles are chosen here (frameAt runs on the page), tiles in the hot tier skipped. */
  async prefetch(level: TiledLevel, region: Region, opts: PrefetchOptions = {}): Promise<void> {
    this.#checkOpen();
    // frameAt is a closure over the slide's index: run it here, send plain refs.
    const { frames, pin } = checkPrefetch(level, region, opts);
    const toLoad = frames
      .filter((f) => this.#hot?.peek(hotKey(f.instance.url, f.frameNumber)) === undefined)
      .map((f) => [{ url: f.instance.url, frameCount: f.instance.frameCount }, f.frameNumber] as [InstanceRef, number]);
    await this.#call((r) => r.prefetchFrames(this.#engineId, toLoad, { pin }));
  }

  /** See FrameCacheApi.cacheWholeInstance. */
  async cacheWholeInstance(
    target: InstanceRef | InstanceRef[] | InstanceGroup,
    opts: { blocking?: boolean } = {},
  ): Promise<void> {
    this.#checkOpen();
    // Checked here as the engine checks them: a function would not cross to the worker.
    checkWholeInstanceOptions(opts);
    // A Level crosses as plain refs (its frameAt closure cannot).
    const refs = instancesOf(target).map((i) => ({ url: i.url, frameCount: i.frameCount }));
    await this.#call((r) => r.cacheWholeInstance(this.#engineId, refs, opts));
  }

  /** See FrameCacheApi.waitForLoads. */
  async waitForLoads(instanceUrl?: string, opts: { timeoutMs?: number } = {}): Promise<number> {
    this.#checkOpen();
    checkWaitForLoads(instanceUrl, opts);
    return this.#call((r) => r.waitForLoads(this.#engineId, instanceUrl, opts));
  }

  /** See FrameCacheApi.putExternal: the caller's buffer stays theirs (a copy crosses). */
  async putExternal(key: string, bytes: Uint8Array): Promise<boolean> {
    this.#checkOpen();
    checkExternal(key, bytes);
    const copy = bytes.slice(); // the caller's buffer stays theirs
    return this.#call((r) => r.putExternal(this.#engineId, key, copy));
  }

  /** See FrameCacheApi.getExternal. */
  async getExternal(key: string): Promise<Uint8Array | undefined> {
    this.#checkOpen();
    return this.#call((r) => r.getExternal(this.#engineId, key));
  }

  /**
   * The worker's stats with this page's hot-tier reads in them: in `hits` (and this tab's part,
   * `tab.hits`, in shared mode) and in the range `firstFrameRead`..`lastFrameRead`.
   */
  async stats(): Promise<CacheStats> {
    this.#checkOpen();
    const stats = await this.#call((r) => r.stats(this.#engineId));
    stats.hits += this.#hotHits;
    if (stats.tab) stats.tab.hits += this.#hotHits;
    if (this.#hotFirst !== undefined && !(stats.firstFrameRead! <= this.#hotFirst))
      stats.firstFrameRead = this.#hotFirst;
    if (this.#hotLast !== undefined && !(stats.lastFrameRead! >= this.#hotLast)) stats.lastFrameRead = this.#hotLast;
    return stats;
  }

  /** See FrameCacheApi.resetStats; the hot tier's reads are forgotten too. */
  async resetStats(): Promise<void> {
    this.#checkOpen();
    await this.#call((r) => r.resetStats(this.#engineId));
    this.#hotHits = 0;
    this.#hotFirst = undefined;
    this.#hotLast = undefined;
  }

  /** See FrameCacheApi.clear; the hot tier is emptied too, and frames pushed before the call are dropped. */
  async clear(opts: { spill?: boolean } = {}): Promise<void> {
    this.#checkOpen();
    // Pushes still on their way were queued before this clear: the new epoch drops them.
    if (this.#push) this.#push.epoch++;
    this.#hot?.clear();
    await this.#call((r) => r.clear(this.#engineId, opts));
    this.#hot?.clear(); // a frame that arrived during the call is not kept either
  }

  /** Same settings and uid, empty memory; same worker (and IndexedDB tier). */
  clone(): FrameCache {
    this.#checkOpen();
    FrameCache.#cloning = { connection: this.#connection, parent: this };
    try {
      return new FrameCache(this.#options);
    } finally {
      FrameCache.#cloning = undefined;
    }
  }

  /** Ends this cache's loads and waits; pending and later calls reject with 'closed'. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      if (this.#connection.started) await this.#connection.call((r) => r.close(this.#engineId));
    } catch {
      // A crashed worker has nothing left to close.
    } finally {
      this.#connection.closeEngine(this.#engineId);
      this.#connection.unregister(this.#engineId);
      this.#connection.release();
      if (this.#push) this.#push.epoch++; // frames still to be kept are dropped
      this.#hot?.clear();
      this.#progress.clear();
    }
  }

  async #exportFrames(frames: Record<string, number[]>): Promise<[string, number, Uint8Array][]> {
    this.#checkOpen();
    return this.#call((r) => r.exportFrames(this.#engineId, frames));
  }

  #createRequest(parentId: number | undefined): [CreateEngineRequest, EngineCallbacks] {
    const { headers, logger } = this.#options;
    const options: WireOptions = {};
    for (const key of [
      'maxBytes',
      'framesPerMiss',
      'wholeInstanceMaxFrames',
      'framesPerRequest',
      'maxConcurrentRequests',
      'requestTimeoutMs',
      'maxRetries',
      'spill',
      'httpCache',
    ] as const) {
      if (this.#options[key] !== undefined) (options as Record<string, unknown>)[key] = this.#options[key];
    }
    options.hint = this.#hint;
    if (headers !== undefined && typeof headers !== 'function') options.headers = headers;
    const request: CreateEngineRequest = {
      engineId: this.#engineId,
      options,
      cacheInstanceUid: this.#cacheInstanceUid,
      hasHeadersFunction: typeof headers === 'function',
      hasLogger: logger !== undefined,
      acceptsPush: this.#push !== undefined,
    };
    if (parentId !== undefined) request.cloneOf = parentId;
    // Headers are computed here, on the main thread, per request: tokens never sit in the worker.
    const callbacks: EngineCallbacks = {
      headers: async (url) => (typeof headers === 'function' ? headers(url) : {}),
      log: (level, message, fields) => logger?.[level](message, fields),
      pushFrames: (packet) => {
        if (!this.#closed) this.#push?.receive(packet);
      },
      progress: (id, done, total) => {
        const callback = this.#progress.get(id);
        if (callback === undefined) return;
        if (done >= total) this.#progress.delete(id);
        callback(done, total);
      },
    };
    return [request, callbacks];
  }

  #call<T>(work: (remote: Remote<WorkerApi>) => Promise<WireResult<T>>): Promise<T> {
    return this.#connection.call(work, this.#engineId);
  }

  /**
   * getFrame (`frames` a number) or getFrames (a list) in the worker, on the frame channel where
   * there is one. A signal ends the caller's wait at once; the worker then drops its waiter.
   */
  #frameCall<T>(
    instance: InstanceRef,
    frames: number | number[],
    hint: Hint | undefined,
    signal: AbortSignal | undefined,
    priority: PriorityRank,
  ): Promise<T> {
    const ref = { url: instance.url, frameCount: instance.frameCount };
    const opts: FrameCallOptions = {
      hint: hint ?? this.#hint,
      priority: priorityName(priority),
      pushEpoch: this.#push?.epoch ?? 0,
    };
    const run = (o: FrameCallOptions): Promise<T> => this.#connection.frameCall<T>(this.#engineId, ref, frames, o);
    return runAbortable(signal, opts, run, (callId) => this.#connection.cancel(callId));
  }

  /** A read the hot tier answered: counted as a hit, and in the range of frames read. */
  #hotHit(frameNumber: number): void {
    this.#hotHits++;
    if (!(this.#hotFirst! <= frameNumber)) this.#hotFirst = frameNumber;
    if (!(this.#hotLast! >= frameNumber)) this.#hotLast = frameNumber;
  }

  #checkOpen(): void {
    if (this.#closed) throw closedError();
  }
}
