/**
 * Type-only: the worker API as the facade sees it over Comlink, and the wire shapes that
 * cross (kept apart from the engine's types, as comlink keeps its wire types). Errors cross as
 * values (`WireResult`), because Comlink alone loses an error's class and code
 * (docs/server-and-browser-facts.md, "Comlink").
 */
import type { SerializedError } from './errors.js';
import type { LogFields } from '../core/ports.js';
import type { CacheStats, FrameCacheOptions, Hint, InstanceRef, Priority } from '../core/types.js';
import type { PixelFormat } from '../decode/pixel-format.js';

export type WireResult<T> = { ok: true; value: T } | { ok: false; error: SerializedError };

/** FrameCacheOptions without the functions (they cross as Comlink proxies). */
export type WireOptions = Omit<FrameCacheOptions, 'headers' | 'logger'> & { headers?: Record<string, string> };

/**
 * The main-thread callbacks of one engine, as ONE Comlink proxy: headers (per request),
 * log records, preload progress.
 */
export interface EngineCallbacks {
  headers(url: string): Promise<Record<string, string>>;
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: LogFields): void;
  progress(progressId: number, done: number, total: number): void;
  /** Frames the worker admitted for instances this tab is reading, packed in one buffer. */
  pushFrames(packet: FramePacket): void;
}

/**
 * Many frames in ONE transferred buffer: crossing to a SharedWorker costs per transferred
 * buffer (16 separate 64 KiB buffers took 12-17 ms, one 1 MiB buffer ~4 ms), not per byte.
 */
export interface FramePacket {
  /** The tab's clear() count when these frames were queued. */
  epoch: number;
  buffer: ArrayBuffer;
  /** [instanceUrl, frameNumber, byteOffset, byteLength] */
  frames: [string, number, number, number][];
}

export interface CreateEngineRequest {
  engineId: number;
  options: WireOptions;
  /** The app's `headers` is a function: the worker calls back for each request's headers. */
  hasHeadersFunction?: boolean;
  hasLogger?: boolean;
  /** The tab keeps a hot tier: push it the frames of instances it is reading. */
  acceptsPush?: boolean;
  /** The engine's cacheInstanceUid (chosen by the facade, kept across worker restarts and by clones). */
  cacheInstanceUid: string;
  /** Set by clone(): when that engine lives in this worker, clone it (sharing its source and spill tier). */
  cloneOf?: number;
}

export interface FrameCallOptions {
  hint?: Hint;
  priority?: Priority;
  /** Set when the caller passed a signal: cancel(callId) aborts the wait. */
  callId?: number;
  /** The tab's clear() count: pushed frames are stamped with it, older ones dropped by the tab. */
  pushEpoch?: number;
}

/** getTile: the frame call's options plus the decoded tier's bound (the facade's `decodedBytes`). */
export interface TileCallOptions extends FrameCallOptions {
  decodedBytes: number;
  /** The codecs' .wasm URLs as the page resolved them (src/decode/codec-wasm-urls.ts). */
  wasmUrls: Record<'jpeg2000' | 'htj2k' | 'jpeg-ls', string>;
}

/**
 * The frame channel: getFrame and getFrames, and their cancels, on a MessagePort of their own
 * as flat arrays, without Comlink's per-call proxy, id string and wire wrapping (a hit is
 * mostly such fixed costs: docs/worker-cost.md). `frames` is one frame number (getFrame) or a
 * list (getFrames). Cancels travel on the same port, so they always arrive after their call.
 * Both ends send what one task produced as one message (FrameChannelMessage, FrameChannelAnswers).
 */
export type FrameChannelRequest = FrameChannelCall | { cancel: number };

/**
 * One call: its options as positions, not an object (frame-wire.ts makes and reads them). Each
 * object a message holds costs its structured clone both ways: a hit's request and answer as
 * nested objects took 6-20 µs more a round trip than as flat arrays (docs/worker-cost.md, "The
 * hit path without promises").
 */
export type FrameChannelCall = [
  id: number,
  engineId: number,
  url: string,
  frameCount: number,
  frames: number | number[],
  hint: Hint | undefined,
  priority: Priority | undefined,
  callId: number | undefined,
  pushEpoch: number | undefined,
];

/** The requests and cancels of one page task, in call order: one message. */
export type FrameChannelMessage = FrameChannelRequest[];

/** Where a getFrame answer's bytes lie in its message's `frames` buffer (FramesMessage). */
export interface FrameSlice {
  at: number;
  length: number;
}

/**
 * The answer to request `id`: `[id, value]` where the call succeeded (getFrame's bytes or, in a
 * FramesMessage, their FrameSlice; getFrames' packed frames; transferred), `[id, undefined,
 * error]` where it failed (frame-wire.ts).
 */
export type FrameChannelAnswer =
  | [id: number, value: Uint8Array | FrameSlice | PackedFrames | undefined]
  | [id: number, value: undefined, error: SerializedError];

/**
 * The answers of one task when they cross a process (a SharedWorker): the getFrame answers'
 * bytes copied into one transferred buffer. A cross-process message pays per transferred buffer
 * (57 frames of 16 kB: 5.8 ms to post as 57 buffers, 2.0 as one: docs/worker-cost.md).
 */
export interface FramesMessage {
  answers: FrameChannelAnswer[];
  frames: ArrayBuffer;
}

/**
 * Frames the worker pushes to one engine of the tab (frame-pusher.ts), one way: no answer comes
 * back, and on the frame channel they keep their order with the answers.
 */
export interface PushMessage {
  push: number;
  packet: FramePacket;
}

/** The answers the worker had ready in one task: one message, every buffer transferred. */
export type FrameChannelAnswers = FrameChannelAnswer[] | FramesMessage;

/** What the worker sends on the frame channel. */
export type FrameChannelDown = FrameChannelAnswers | PushMessage;

/** Frames packed in one buffer; `lengths[i]` is -1 where frame i is undefined. */
export interface PackedFrames {
  buffer: ArrayBuffer;
  lengths: number[];
}

/**
 * What the worker exposes (docs/design.md, "Worker protocol"). Every method resolves (never
 * rejects) with a WireResult, bar `hello` (the handshake) and `cancel` (fire and forget).
 */
export interface WorkerApi {
  /**
   * The handshake: resolves once the worker holds its liveness lock `lockName` (when Web Locks
   * exist). `tabLockName`: a lock the tab holds for its life; the shared worker lets go of the
   * tab's engines when it is released.
   */
  hello(lockName: string | undefined, tabLockName?: string): Promise<{ locked: boolean }>;
  /** Proxies must be top-level arguments: Comlink does not proxy functions nested in an object. */
  create(
    request: CreateEngineRequest,
    callbacks: EngineCallbacks | undefined,
  ): Promise<WireResult<{ cacheInstanceUid: string }>>;
  cancel(callId: number): void;
  /** Takes the port of the frame channel (FrameChannelRequest in, FrameChannelAnswer out). */
  openFrameChannel(port: MessagePort): void;
  getFrame(
    engineId: number,
    instance: InstanceRef,
    frameNumber: number,
    opts: FrameCallOptions,
  ): Promise<WireResult<Uint8Array | undefined>>;
  getFrames(
    engineId: number,
    instance: InstanceRef,
    frameNumbers: number[],
    opts: FrameCallOptions,
  ): Promise<WireResult<PackedFrames>>;
  getCachedFrame(
    engineId: number,
    instanceUrl: string,
    frameNumber: number,
  ): Promise<WireResult<Uint8Array | undefined>>;
  /** The frame decoded in the worker, the bitmap transferred; `format` from the instance's metadata. */
  getTile(
    engineId: number,
    instance: InstanceRef,
    frameNumber: number,
    format: PixelFormat | undefined,
    opts: TileCallOptions,
  ): Promise<WireResult<ImageBitmap | undefined>>;
  preload(
    engineId: number,
    frames: Record<string, number[]>,
    opts: { blocking?: boolean; progressId?: number },
  ): Promise<WireResult<void>>;
  exportFrames(engineId: number, frames: Record<string, number[]>): Promise<WireResult<[string, number, Uint8Array][]>>;
  importFrames(engineId: number, entries: [string, number, Uint8Array][]): Promise<WireResult<void>>;
  prefetchFrames(
    engineId: number,
    frames: [InstanceRef, number][],
    opts: { pin?: InstanceRef[][] },
  ): Promise<WireResult<void>>;
  cacheWholeInstance(
    engineId: number,
    instances: InstanceRef[],
    opts: { blocking?: boolean },
  ): Promise<WireResult<void>>;
  waitForLoads(
    engineId: number,
    instanceUrl: string | undefined,
    opts: { timeoutMs?: number },
  ): Promise<WireResult<number>>;
  putExternal(engineId: number, key: string, bytes: Uint8Array): Promise<WireResult<boolean>>;
  getExternal(engineId: number, key: string): Promise<WireResult<Uint8Array | undefined>>;
  stats(engineId: number): Promise<WireResult<CacheStats>>;
  resetStats(engineId: number): Promise<WireResult<void>>;
  clear(engineId: number, opts: { spill?: boolean }): Promise<WireResult<void>>;
  setHint(engineId: number, hint: Hint): Promise<WireResult<void>>;
  close(engineId: number): Promise<WireResult<void>>;
}
