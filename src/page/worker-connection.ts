/**
 * The facade's link to its worker: starts it, learns when it dies (a Web Lock the worker
 * holds is granted to the page the moment the worker ends; a dead worker may fire no event:
 * docs/server-and-browser-facts.md, "Chromium"), rejects every pending call with 'worker-crashed', and starts a fresh worker on
 * the next call, re-creating the engines registered on it. Comlink alone would hang.
 */
import { proxy, releaseProxy, transfer, wrap, type Endpoint, type Remote } from 'comlink';
import { FrameCacheError, closedError, deserializeError } from '../shared/errors.js';
import type { InstanceRef } from '../core/types.js';
import type {
  CreateEngineRequest,
  EngineCallbacks,
  FrameCallOptions,
  FramePacket,
  WireResult,
  WorkerApi,
} from '../shared/protocol.js';
import { FrameChannel } from './frame-channel.js';
import { randomUid } from '../shared/uid.js';

/** What `createWorker` may return: a Worker, a SharedWorker, or any MessagePort-like endpoint. */
export type WorkerLike = Worker | SharedWorker | (Endpoint & { terminate?: () => void; start?: () => void });

/** How long a new worker may take to answer its first message. */
export const WORKER_START_TIMEOUT_MS = 15000;

/** How to (re-)create one engine in the worker, and what to do with the answer. */
export interface EngineRegistration {
  request(): [CreateEngineRequest, EngineCallbacks | undefined];
  /** The engine's uid: in shared mode, that of the engine other tabs already share. */
  onCreated?(cacheInstanceUid: string): void;
  /** Frames the worker pushed to this engine over the frame channel. */
  onPush?(packet: FramePacket): void;
}

interface Live {
  worker: WorkerLike;
  remote: Remote<WorkerApi>;
  ready: Promise<void>;
  /** `ready` has resolved (and no engine was registered since): frameCall needs no wait. */
  readyNow: boolean;
  lockAbort: AbortController | undefined;
  /** Ends this tab's hold on its tab lock (shared worker: the worker then forgets the tab). */
  releaseTabLock: (() => void) | undefined;
  /** getFrame / getFrames without Comlink (set during the handshake where MessageChannel exists). */
  frames: FrameChannel | undefined;
  /** The handshake's start timeout: cleared by #stop too (a crash mid-handshake ends it unanswered). */
  startTimer?: ReturnType<typeof setTimeout>;
}

/** Holds a lock until the returned function is called; resolves once it is held. */
async function holdLock(name: string): Promise<(() => void) | undefined> {
  if (typeof navigator === 'undefined' || !navigator.locks) return undefined;
  let release!: () => void;
  const held = new Promise<void>((resolveHeld) => {
    navigator.locks
      .request(name, () => {
        resolveHeld();
        return new Promise<void>((resolve) => (release = resolve));
      })
      .catch(() => resolveHeld());
  });
  await held;
  return release;
}

function endpointOf(worker: WorkerLike): Endpoint {
  if (typeof SharedWorker !== 'undefined' && worker instanceof SharedWorker) {
    worker.port.start();
    return worker.port;
  }
  (worker as { start?: () => void }).start?.();
  return worker as Endpoint;
}

export class WorkerConnection {
  readonly #createWorker: () => WorkerLike;
  readonly #engines = new Map<number, EngineRegistration>();
  /** Every call waiting on the worker: how to reject it, and the engine it is for (if one). */
  readonly #pending = new Map<(error: FrameCacheError) => void, number | undefined>();
  #live: Live | undefined;
  #closed = false;
  #refs = 0;
  /** Bumped at every (re)start; a crash report from an older worker is ignored. */
  generation = 0;

  constructor(createWorker: () => WorkerLike) {
    this.#createWorker = createWorker;
  }

  retain(): void {
    this.#refs++;
  }

  /** Drops one user; the last one terminates the worker. */
  release(): void {
    if (--this.#refs > 0) return;
    this.#closed = true;
    this.#stop();
  }

  /** Registers an engine to (re-)create on every start of the worker. */
  register(engineId: number, request: EngineRegistration): void {
    this.#engines.set(engineId, request);
    const live = this.#live;
    // A worker already running learns of the new engine before any call of it is answered.
    if (live !== undefined)
      this.#setReady(
        live,
        live.ready.then(() => this.#create(live.remote, request)),
      );
  }

  #setReady(live: Live, ready: Promise<void>): void {
    live.ready = ready;
    live.readyNow = false;
    ready.then(
      () => {
        if (live.ready === ready) live.readyNow = true;
      },
      () => undefined,
    );
  }

  unregister(engineId: number): void {
    this.#engines.delete(engineId);
  }

  /** Starts the worker now (the constructor's eager start) without waiting for it. */
  start(): void {
    this.#ensure().ready.catch(() => undefined);
  }

  /**
   * Runs one call against the worker: rejects with 'worker-crashed' if the worker dies
   * before answering, and with the call's own FrameCacheError when it failed there.
   */
  async call<T>(
    work: (remote: Remote<WorkerApi>, frames: FrameChannel | undefined) => Promise<WireResult<T>>,
    engineId?: number,
  ): Promise<T> {
    if (this.#closed) throw closedError();
    const live = this.#ensure();
    let onCrash!: (error: FrameCacheError) => void;
    const crashed = new Promise<never>((_, reject) => (onCrash = reject));
    this.#pending.set(onCrash, engineId);
    try {
      await Promise.race([live.ready, crashed]);
      let result: WireResult<T>;
      try {
        result = await Promise.race([work(live.remote, live.frames), crashed]);
      } catch (error) {
        // Comlink itself failed (a DataCloneError posting the call): still a FrameCacheError.
        if (error instanceof FrameCacheError) throw error;
        throw new FrameCacheError('worker-crashed', `The call to the frame cache worker failed: ${String(error)}`, {
          cause: error,
        });
      }
      if (!result.ok) throw deserializeError(result.error);
      return result.value;
    } finally {
      this.#pending.delete(onCrash);
    }
  }

  /**
   * A getFrame (`frames` a number) or getFrames call. Once the worker is up and its frame channel
   * open, the call goes straight onto the channel with one promise, settled by the answer or a
   * crash (the hit path: docs/worker-cost.md, "The hit path without promises"); before that, as
   * call() does, Comlink where there is no channel.
   */
  frameCall<T>(engineId: number, instance: InstanceRef, frames: number | number[], opts: FrameCallOptions): Promise<T> {
    const live = this.#live;
    const channel = live?.frames;
    if (this.#closed || live === undefined || !live.readyNow || channel === undefined) {
      return this.call<T>((r, frameChannel) => {
        if (frameChannel) return frameChannel.request<T>(engineId, instance, frames, opts);
        const viaComlink =
          typeof frames === 'number'
            ? r.getFrame(engineId, instance, frames, opts)
            : r.getFrames(engineId, instance, frames, opts);
        return viaComlink as Promise<WireResult<T>>;
      }, engineId);
    }
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(reject, engineId);
      channel.send<T>(engineId, instance, frames, opts, (result) => {
        this.#pending.delete(reject);
        if (result.ok) resolve(result.value);
        else reject(deserializeError(result.error));
      });
    });
  }

  /** Tells the worker that the caller of an abortable call left (on the channel the call took). */
  cancel(callId: number): void {
    // Through call(), like the call itself: the cancel leaves after it, never before.
    this.call(async (remote, frames) => {
      if (frames !== undefined) frames.cancel(callId);
      else void Promise.resolve(remote.cancel(callId)).catch(() => undefined);
      return { ok: true as const, value: undefined };
    }).catch(() => undefined);
  }

  /** Marks the worker dead: every pending call rejects; the next call starts a fresh one. */
  crash(reason: string, generation = this.generation): void {
    if (generation !== this.generation || this.#live === undefined) return;
    this.#stop();
    const error = new FrameCacheError('worker-crashed', `The frame cache worker stopped: ${reason}`);
    for (const reject of this.#pending.keys()) reject(error);
    this.#pending.clear();
  }

  /**
   * Engine `engineId` was closed: its calls still waiting reject with 'closed' now. The worker
   * may never answer them: a shared engine lives on for the other tabs, and this tab's frame
   * channel closes with its last cache (core/cache-api.ts, close(): later calls reject with 'closed').
   */
  closeEngine(engineId: number): void {
    const error = closedError();
    for (const [reject, owner] of this.#pending) {
      if (owner !== engineId) continue;
      this.#pending.delete(reject);
      reject(error);
    }
  }

  get started(): boolean {
    return this.#live !== undefined;
  }

  #ensure(): Live {
    if (this.#live !== undefined) return this.#live;
    const generation = ++this.generation;
    let worker: WorkerLike;
    try {
      worker = this.#createWorker();
    } catch (error) {
      throw new FrameCacheError('worker-crashed', `The frame cache worker could not be created: ${String(error)}`, {
        cause: error,
      });
    }
    const remote = wrap<WorkerApi>(endpointOf(worker));
    const onError = (event: Event): void => {
      event.preventDefault?.();
      const message = (event as ErrorEvent).message;
      this.crash(
        message ? `error event: ${message}` : 'error event (the worker script failed to load or threw)',
        generation,
      );
    };
    (worker as Worker).addEventListener?.('error', onError);
    const lockAbort = typeof navigator !== 'undefined' && navigator.locks ? new AbortController() : undefined;
    const live: Live = {
      worker,
      remote,
      lockAbort,
      releaseTabLock: undefined,
      frames: undefined,
      ready: Promise.resolve(),
      readyNow: false,
    };
    this.#live = live;
    this.#setReady(live, this.#handshake(live, generation));
    return live;
  }

  async #handshake(live: Live, generation: number): Promise<void> {
    // The engines registered now; one registered while the handshake runs gets its own create,
    // chained after it (register()), and is not created twice.
    const engines = new Set(this.#engines.keys());
    const lockName = live.lockAbort ? `dicomweb-frame-cache:worker:${randomUid()}` : undefined;
    const shared = typeof SharedWorker !== 'undefined' && live.worker instanceof SharedWorker;
    const tabLockName = shared && live.lockAbort ? `dicomweb-frame-cache:tab:${randomUid()}` : undefined;
    if (tabLockName !== undefined) live.releaseTabLock = await holdLock(tabLockName);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.crash(`no answer within ${WORKER_START_TIMEOUT_MS} ms of starting`, generation);
        reject(new FrameCacheError('worker-crashed', 'The frame cache worker did not start'));
      }, WORKER_START_TIMEOUT_MS);
      live.startTimer = timer;
    });
    try {
      const { locked } = await Promise.race([live.remote.hello(lockName, tabLockName), timeout]);
      if (locked && lockName && live.lockAbort) {
        // Granted only once the worker's own hold on the lock ends: the worker is gone.
        navigator.locks
          .request(lockName, { signal: live.lockAbort.signal }, () =>
            this.crash('the worker ended (its lock was released)', generation),
          )
          .catch(() => undefined);
      }
      if (typeof MessageChannel !== 'undefined') {
        const channel = new MessageChannel();
        await Promise.race([live.remote.openFrameChannel(transfer(channel.port2, [channel.port2])), timeout]);
        if (this.#live === live)
          live.frames = new FrameChannel(channel.port1, (engineId, packet) =>
            this.#engines.get(engineId)?.onPush?.(packet),
          );
        else channel.port1.close();
      }
      for (const [, request] of [...this.#engines].filter(([id]) => engines.has(id)).sort((a, b) => a[0] - b[0])) {
        await Promise.race([this.#create(live.remote, request), timeout]);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  async #create(remote: Remote<WorkerApi>, registration: EngineRegistration): Promise<void> {
    const [createRequest, callbacks] = registration.request();
    const result = await remote.create(createRequest, callbacks ? proxy(callbacks) : undefined);
    if (!result.ok) throw deserializeError(result.error);
    registration.onCreated?.(result.value.cacheInstanceUid);
  }

  #stop(): void {
    const live = this.#live;
    if (live === undefined) return;
    this.#live = undefined;
    clearTimeout(live.startTimer);
    live.lockAbort?.abort();
    live.releaseTabLock?.();
    live.frames?.close();
    try {
      live.remote[releaseProxy]();
    } catch {
      // Already released.
    }
    if (typeof SharedWorker !== 'undefined' && live.worker instanceof SharedWorker) live.worker.port.close();
    (live.worker as { terminate?: () => void }).terminate?.();
    (live.worker as { close?: () => void }).close?.();
  }
}
