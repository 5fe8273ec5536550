/**
 * The worker side of the facade: engines by id, each call answered with a WireResult so a
 * FrameCacheError keeps its class and code across the boundary. Frames leave as copies whose
 * buffers are transferred: the cached buffer itself is never transferred away.
 */
import { transfer, type Remote } from 'comlink';
import { FrameCacheError, serializeError } from '../shared/errors.js';
import type { FrameCacheEngine } from '../platform/frame-cache-engine.js';
import { TALLY, type FrameCacheEngineOptions } from '../core/engine-types.js';
import { frameKey } from '../core/frame-key.js';
import type { FrameRequestOptions, InstanceRef, Priority } from '../core/types.js';
import { DedicatedRegistry, type EngineLease, type EngineRegistry } from './engine-registry.js';
import { FramePusher, packFrames, pushSender } from './frame-pusher.js';
import { ExactSpare, SpareBuffer } from './spare-buffer.js';
import { answerOf, optionsOf } from '../shared/frame-wire.js';
import { PortOutbox, RESOLVED } from '../shared/port-outbox.js';
import { packAnswers } from './answer-pack.js';
import type {
  CreateEngineRequest,
  EngineCallbacks,
  FrameCallOptions,
  FrameChannelAnswer,
  FrameChannelMessage,
  FrameChannelRequest,
  PackedFrames,
  TileCallOptions,
  WireResult,
  WorkerApi,
} from '../shared/protocol.js';
import type { PixelFormat } from '../decode/pixel-format.js';
import { TileDecoder } from '../decode/tile-decoder.js';

async function settle<T>(work: () => Promise<T> | T): Promise<WireResult<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error: serializeError(error) };
  }
}

/** A copy whose buffer can be transferred, so the cached bytes stay put. */
function transferable(bytes: Uint8Array | undefined): Uint8Array | undefined {
  return bytes === undefined ? undefined : bytes.slice();
}

export interface WorkerHostPorts {
  /** Takes a lock held for the worker's life, so the page learns when it dies (Web Locks). */
  holdLock?: (name: string) => Promise<boolean>;
  /** Calls back when the lock a tab holds for its life is released: the tab is gone. */
  watchLock?: (name: string, onGone: () => void) => void;
  /** Where engines come from. @default a DedicatedRegistry */
  registry?: EngineRegistry;
  /** Extra engine options for the default registry (tests inject fetch or a source here). */
  engineOptions?: Partial<FrameCacheEngineOptions>;
  /**
   * The frame channel's answers cross a process (a SharedWorker): the getFrame answers of one
   * message go as one buffer (answer-pack.ts) instead of a transferred copy each.
   */
  packAnswers?: boolean;
}

/** One connection's view of the worker: a dedicated worker has one, a shared worker one per tab. */
export class WorkerHost implements WorkerApi {
  readonly #leases = new Map<number, EngineLease>();
  readonly #calls = new Map<number, AbortController>();
  readonly #pushers = new Map<number, FramePusher>();
  /** getTile's decoders (and decoded tiers), per engine, made on the first tile. */
  readonly #tiles = new Map<number, TileDecoder>();
  readonly #ports: WorkerHostPorts;
  readonly #registry: EngineRegistry;
  /** WorkerHostPorts.packAnswers: getFrame answers leave uncopied and are packed per message. */
  readonly #packAnswers: boolean;
  /** getFrames answers are packed into a buffer made ready after the previous answer. */
  readonly #spare = new SpareBuffer();
  /** getFrame answers are copied into memory touched ahead where their length repeats. */
  readonly #exactSpare = new ExactSpare();
  readonly #refillSpare = (): void => this.#exactSpare.refill();
  /** The frame channel's port, once the page opened it: pushes go there, one way. */
  #framePort: MessagePort | undefined;

  constructor(ports: WorkerHostPorts = {}) {
    this.#ports = ports;
    this.#packAnswers = ports.packAnswers === true;
    this.#registry = ports.registry ?? new DedicatedRegistry(ports.engineOptions);
  }

  async hello(lockName: string | undefined, tabLockName?: string): Promise<{ locked: boolean }> {
    if (tabLockName !== undefined) this.#ports.watchLock?.(tabLockName, () => void this.#releaseAll());
    if (lockName === undefined || this.#ports.holdLock === undefined) return { locked: false };
    return { locked: await this.#ports.holdLock(lockName) };
  }

  create(
    request: CreateEngineRequest,
    callbacks: Remote<EngineCallbacks> | undefined,
  ): Promise<WireResult<{ cacheInstanceUid: string }>> {
    return settle(() => {
      const parent = request.cloneOf === undefined ? undefined : this.#leases.get(request.cloneOf);
      const lease = this.#registry.acquire(request, callbacks, parent);
      this.#leases.set(request.engineId, lease);
      const send = request.acceptsPush ? pushSender(request.engineId, this.#framePort, callbacks) : undefined;
      if (send) this.#pushers.set(request.engineId, new FramePusher(lease.engine, send));
      return { cacheInstanceUid: lease.engine.cacheInstanceUid };
    });
  }

  /** Ends this connection's use of an engine (a shared engine lives on while another tab holds it). */
  close(engineId: number): Promise<WireResult<void>> {
    return settle(async () => {
      const lease = this.#leases.get(engineId);
      this.#leases.delete(engineId);
      this.#pushers.get(engineId)?.close();
      this.#pushers.delete(engineId);
      this.#tiles.get(engineId)?.clear();
      this.#tiles.delete(engineId);
      if (this.#leases.size === 0) this.#releaseSpares();
      await lease?.release();
    });
  }

  cancel(callId: number): void {
    this.#calls.get(callId)?.abort(new DOMException('The caller aborted', 'AbortError'));
  }

  openFrameChannel(port: MessagePort): void {
    this.#framePort = port;
    const outbox = new PortOutbox<FrameChannelAnswer>(
      port,
      ([id], error) => {
        // An answer that cannot cross (a buffer that does not transfer): its caller gets the error.
        try {
          port.postMessage([answerOf(id, { ok: false, error: serializeError(error) })]);
        } catch {
          // The port itself is unusable: the connection's crash handling ends the call.
        }
      },
      this.#packAnswers ? packAnswers : undefined,
    );
    port.addEventListener('message', (event) => {
      // Every call of the page's task starts here in this task, so a view's misses meet in one
      // visible batch (the engine's batch window starts with the first).
      for (const request of (event as MessageEvent<FrameChannelMessage>).data)
        void this.#onFrameRequest(outbox, request);
    });
    port.start();
  }

  async getFrame(engineId: number, instance: InstanceRef, frameNumber: number, opts: FrameCallOptions) {
    const [result, transfers] = await this.#frame(engineId, instance, frameNumber, opts);
    return transfer(result, transfers);
  }

  async getFrames(engineId: number, instance: InstanceRef, frameNumbers: number[], opts: FrameCallOptions) {
    const [result, transfers] = await this.#frames(engineId, instance, frameNumbers, opts);
    return transfer(result, transfers);
  }

  async #onFrameRequest(outbox: PortOutbox<FrameChannelAnswer>, request: FrameChannelRequest): Promise<void> {
    if (!Array.isArray(request)) {
      this.cancel(request.cancel);
      return;
    }
    const [id, engineId, url, frameCount, frames, , priority, , pushEpoch] = request;
    const instance = { url, frameCount };
    if (typeof frames === 'number') {
      const hit = this.#hitNow(engineId, instance, frames, priority, pushEpoch);
      if (hit !== undefined) {
        outbox.add([id, hit[0]], hit[1]);
        // After the outbox's flush (a microtask queued before this one): off the answer's path.
        if (hit[1].length > 0) void RESOLVED.then(this.#refillSpare);
        return;
      }
    }
    const opts = optionsOf(request);
    const [result, transfers] =
      typeof frames === 'number'
        ? await this.#frame(engineId, instance, frames, opts, this.#packAnswers)
        : await this.#frames(engineId, instance, frames, opts);
    outbox.add(answerOf(id, result), transfers);
  }

  /**
   * A getFrame the cache can answer now: answered in this task, without getFrame's awaits
   * (engine.readHit). `undefined` where it cannot (a miss, a bad call, a closed engine): #frame
   * then answers it, errors included.
   */
  #hitNow(
    engineId: number,
    instance: InstanceRef,
    frameNumber: number,
    priority: Priority | undefined,
    pushEpoch: number | undefined,
  ): [Uint8Array, ArrayBuffer[]] | undefined {
    let hit: Uint8Array | undefined;
    try {
      const { engine, tally } = this.#lease(engineId);
      hit = engine.readHit(instance, frameNumber, tally);
    } catch {
      return undefined;
    }
    if (hit === undefined) return undefined;
    this.#watch(engineId, instance.url, priority, pushEpoch);
    // Packed: the cached bytes themselves, copied once when their message is packed.
    if (this.#packAnswers) return [hit, []];
    const copy = this.#exactSpare.copy(hit);
    return [copy, [copy.buffer as ArrayBuffer]];
  }

  async #frame(
    engineId: number,
    instance: InstanceRef,
    frameNumber: number,
    opts: FrameCallOptions,
    packed = false,
  ): Promise<[WireResult<Uint8Array | undefined>, ArrayBuffer[]]> {
    const release = this.#pushers.get(engineId)?.answering(instance.url, [frameNumber]);
    const result = await this.#withSignal(opts, (signal) =>
      this.#engine(engineId).getFrame(instance, frameNumber, this.#requestOpts(engineId, opts, signal, instance.url)),
    );
    release?.();
    // Packed: the cached bytes themselves, copied once when their message is packed.
    if (!result.ok || result.value === undefined || packed) return [result, []];
    const copy = this.#exactSpare.copy(result.value);
    this.#exactSpare.refillLater();
    return [{ ok: true, value: copy }, [copy.buffer as ArrayBuffer]];
  }

  async #frames(
    engineId: number,
    instance: InstanceRef,
    frameNumbers: number[],
    opts: FrameCallOptions,
  ): Promise<[WireResult<PackedFrames>, ArrayBuffer[]]> {
    const release = this.#pushers.get(engineId)?.answering(instance.url, frameNumbers);
    const result = await this.#withSignal(opts, (signal) =>
      this.#engine(engineId).getFrames(instance, frameNumbers, this.#requestOpts(engineId, opts, signal, instance.url)),
    );
    release?.();
    if (!result.ok) return [result, []];
    // A call that outlived its engine's lease (the tab closed it) makes no spare for later.
    const packed = this.#leases.has(engineId)
      ? packFrames(result.value, (bytes) => this.#spare.take(bytes))
      : packFrames(result.value);
    return [{ ok: true, value: packed }, [packed.buffer]];
  }

  async getCachedFrame(engineId: number, instanceUrl: string, frameNumber: number) {
    const result = await settle(() => this.#engine(engineId).getCachedFrame(instanceUrl, frameNumber));
    if (!result.ok || result.value === undefined) return result;
    const copy = transferable(result.value)!;
    return transfer({ ok: true as const, value: copy }, [copy.buffer as ArrayBuffer]);
  }

  /** The frame decoded here (the decoded tier first), the bitmap transferred to the page. */
  async getTile(
    engineId: number,
    instance: { url: string; frameCount: number },
    frameNumber: number,
    format: PixelFormat | undefined,
    opts: TileCallOptions,
  ) {
    const result = await this.#withSignal(opts, async (signal) => {
      const decoder = this.#tileDecoder(engineId, opts);
      const key = frameKey(instance.url, frameNumber);
      const cached = await decoder.cached(key);
      if (cached !== undefined) return cached;
      // No instance URL: the tab wants bitmaps, so the frame pusher does not send it the
      // compressed frames of this instance (main-thread work and transfers for nothing).
      const bytes = await this.#engine(engineId).getFrame(
        instance,
        frameNumber,
        this.#requestOpts(engineId, opts, signal),
      );
      return bytes === undefined ? undefined : decoder.decode(key, bytes, format);
    });
    if (!result.ok || result.value === undefined) return result;
    return transfer({ ok: true as const, value: result.value }, [result.value]);
  }

  preload(engineId: number, frames: Record<string, number[]>, opts: { blocking?: boolean; progressId?: number }) {
    return settle(() => {
      const { progressId } = opts;
      const { callbacks } = this.#lease(engineId);
      return this.#engine(engineId).preload(frames, {
        ...(opts.blocking === undefined ? {} : { blocking: opts.blocking }),
        ...(progressId !== undefined && callbacks
          ? {
              onProgress: (done: number, total: number) =>
                void Promise.resolve(callbacks.progress(progressId, done, total)).catch(() => undefined),
            }
          : {}),
      });
    });
  }

  async exportFrames(engineId: number, frames: Record<string, number[]>) {
    const result = await settle(() =>
      this.#engine(engineId)
        .exportFrames(frames)
        .map(([u, n, b]) => [u, n, b.slice()] as [string, number, Uint8Array]),
    );
    if (!result.ok) return result;
    return transfer(
      result,
      result.value.map(([, , b]) => b.buffer as ArrayBuffer),
    );
  }

  importFrames(engineId: number, entries: [string, number, Uint8Array][]) {
    return settle(() => this.#engine(engineId).importFrames(entries));
  }

  prefetchFrames(
    engineId: number,
    frames: [{ url: string; frameCount: number }, number][],
    opts: { pin?: { url: string; frameCount: number }[][] },
  ) {
    return settle(() => this.#engine(engineId).prefetchFrames(frames, opts));
  }

  cacheWholeInstance(engineId: number, instances: { url: string; frameCount: number }[], opts: { blocking?: boolean }) {
    return settle(() => this.#engine(engineId).cacheWholeInstance(instances, opts));
  }

  waitForLoads(engineId: number, instanceUrl: string | undefined, opts: { timeoutMs?: number }) {
    return settle(() => this.#engine(engineId).waitForLoads(instanceUrl, opts));
  }

  putExternal(engineId: number, key: string, bytes: Uint8Array) {
    return settle(() => this.#engine(engineId).putExternal(key, bytes));
  }

  async getExternal(engineId: number, key: string) {
    const result = await settle(() => this.#engine(engineId).getExternal(key));
    if (!result.ok || result.value === undefined) return result;
    const copy = transferable(result.value)!;
    return transfer({ ok: true as const, value: copy }, [copy.buffer as ArrayBuffer]);
  }

  stats(engineId: number) {
    return settle(async () => {
      const { engine, tally } = this.#lease(engineId);
      const stats = await engine.stats();
      if (tally) stats.tab = { ...tally };
      const tiles = this.#tiles.get(engineId);
      if (tiles) stats.decoded = tiles.stats();
      return stats;
    });
  }

  resetStats(engineId: number) {
    return settle(async () => {
      await this.#lease(engineId).resetStats();
      this.#tiles.get(engineId)?.resetStats();
    });
  }

  clear(engineId: number, opts: { spill?: boolean }) {
    return settle(async () => {
      await this.#engine(engineId).clear(opts);
      this.#pushers.get(engineId)?.cleared();
      this.#tiles.get(engineId)?.clear();
    });
  }

  setHint(engineId: number, hint: 'minimize-requests' | 'minimize-latency' | 'no-wait') {
    return settle(() => {
      this.#engine(engineId).hint = hint;
    });
  }

  #lease(engineId: number): EngineLease {
    const lease = this.#leases.get(engineId);
    // Its cache was closed (or the tab that held it is gone): the caller sees 'closed'.
    if (lease === undefined)
      throw new FrameCacheError('closed', `The frame cache was closed (no engine ${engineId} in this worker)`);
    return lease;
  }

  #tileDecoder(engineId: number, opts: TileCallOptions): TileDecoder {
    let decoder = this.#tiles.get(engineId);
    if (decoder === undefined) {
      decoder = new TileDecoder(opts.decodedBytes, opts.wasmUrls);
      this.#tiles.set(engineId, decoder);
    } else {
      decoder.maxBytes = opts.decodedBytes;
    }
    return decoder;
  }

  #releaseSpares(): void {
    this.#spare.release();
    this.#exactSpare.release();
  }

  #engine(engineId: number): FrameCacheEngine {
    return this.#lease(engineId).engine;
  }

  /** The tab went away without closing: let go of everything it held. */
  async #releaseAll(): Promise<void> {
    for (const controller of this.#calls.values()) controller.abort(new DOMException('The tab is gone', 'AbortError'));
    const leases = [...this.#leases.values()];
    this.#leases.clear();
    for (const decoder of this.#tiles.values()) decoder.clear();
    this.#tiles.clear();
    for (const pusher of this.#pushers.values()) pusher.close();
    this.#pushers.clear();
    this.#releaseSpares();
    await Promise.allSettled(leases.map((l) => l.release()));
  }

  /** A visible call tells the pusher this tab reads the instance (frame-pusher.ts). */
  #watch(engineId: number, instanceUrl: string, priority: Priority | undefined, pushEpoch: number | undefined): void {
    if ((priority ?? 'visible') === 'visible') this.#pushers.get(engineId)?.watch(instanceUrl, pushEpoch);
  }

  #requestOpts(
    engineId: number,
    opts: FrameCallOptions,
    signal: AbortSignal | undefined,
    instanceUrl?: string,
  ): FrameRequestOptions {
    const { tally } = this.#lease(engineId);
    if (instanceUrl !== undefined) this.#watch(engineId, instanceUrl, opts.priority, opts.pushEpoch);
    return {
      ...(opts.hint === undefined ? {} : { hint: opts.hint }),
      ...(opts.priority === undefined ? {} : { priority: opts.priority }),
      ...(signal ? { signal } : {}),
      ...(tally ? { [TALLY]: tally } : {}),
    };
  }

  async #withSignal<T>(
    opts: FrameCallOptions,
    work: (signal: AbortSignal | undefined) => Promise<T>,
  ): Promise<WireResult<T>> {
    const { callId } = opts;
    if (callId === undefined) return settle(() => work(undefined));
    const controller = new AbortController();
    this.#calls.set(callId, controller);
    try {
      return await settle(() => work(controller.signal));
    } finally {
      this.#calls.delete(callId);
    }
  }
}
