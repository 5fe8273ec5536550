/**
 * The worker side of the facade: engines by id, each call answered with a WireResult so a
 * FrameCacheError keeps its class and code across the boundary. Frames leave as copies whose
 * buffers are transferred: the cached buffer itself is never transferred away.
 */
import { releaseProxy, transfer, type Remote } from 'comlink';
import { serializeError } from './errors.js';
import { FrameCacheEngine } from './engine.js';
import type { FrameCacheEngineOptions } from './core/engine.js';
import type { LogFields, Logger } from './core/ports.js';
import type { CreateEngineRequest, EngineCallbacks, FrameCallOptions, WireResult, WorkerApi } from './protocol.js';

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

function buffersOf(values: readonly (Uint8Array | undefined)[]): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const v of values) if (v !== undefined) out.push(v.buffer as ArrayBuffer);
  return out;
}

function remoteLogger(callbacks: Remote<EngineCallbacks>): Logger {
  const send = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, fields?: LogFields) => {
    // Fire and forget: a log record must never hold up a load.
    Promise.resolve(callbacks.log(level, message, fields)).catch(() => undefined);
  };
  return { debug: send('debug'), info: send('info'), warn: send('warn'), error: send('error') };
}

export interface WorkerHostPorts {
  /** Takes a lock held for the worker's life, so the page learns when it dies (Web Locks). */
  holdLock?: (name: string) => Promise<boolean>;
  /** Extra engine options (tests inject fetch or a source here). */
  engineOptions?: Partial<FrameCacheEngineOptions>;
}

export class WorkerHost implements WorkerApi {
  readonly #engines = new Map<number, FrameCacheEngine>();
  readonly #calls = new Map<number, AbortController>();
  readonly #callbacks = new Map<number, Remote<EngineCallbacks>>();
  readonly #ports: WorkerHostPorts;

  constructor(ports: WorkerHostPorts = {}) {
    this.#ports = ports;
  }

  async hello(lockName: string | undefined): Promise<{ locked: boolean }> {
    if (lockName === undefined || this.#ports.holdLock === undefined) return { locked: false };
    return { locked: await this.#ports.holdLock(lockName) };
  }

  async ping(): Promise<'pong'> {
    return 'pong';
  }

  create(request: CreateEngineRequest, callbacks: Remote<EngineCallbacks> | undefined): Promise<WireResult<{ cacheInstanceUid: string }>> {
    return settle(() => {
      let engine: FrameCacheEngine;
      const parent = request.cloneOf === undefined ? undefined : this.#engines.get(request.cloneOf);
      if (parent !== undefined) {
        engine = parent.clone();
      } else {
        const { cacheInstanceUid } = request;
        let first = true;
        const options: FrameCacheEngineOptions = {
          ...request.options,
          ...this.#ports.engineOptions,
          // The first uid asked for is the cacheInstanceUid; later ones (log worker uids) are new.
          uid: () => {
            if (!first) return crypto.randomUUID();
            first = false;
            return cacheInstanceUid;
          },
          ...(request.hasHeadersFunction && callbacks ? { headers: (url: string) => callbacks.headers(url) } : {}),
          ...(request.hasLogger && callbacks ? { logger: remoteLogger(callbacks) } : {}),
        };
        engine = new FrameCacheEngine(options);
      }
      this.#engines.set(request.engineId, engine);
      if (callbacks) this.#callbacks.set(request.engineId, callbacks);
      return { cacheInstanceUid: engine.cacheInstanceUid };
    });
  }

  dispose(engineId: number): Promise<WireResult<void>> {
    return settle(async () => {
      const engine = this.#engines.get(engineId);
      this.#engines.delete(engineId);
      const callbacks = this.#callbacks.get(engineId);
      this.#callbacks.delete(engineId);
      callbacks?.[releaseProxy]();
      await engine?.close();
    });
  }

  cancel(callId: number): void {
    this.#calls.get(callId)?.abort(new DOMException('The caller aborted', 'AbortError'));
  }

  async getFrame(engineId: number, instance: { url: string; frameCount: number }, frameNumber: number, opts: FrameCallOptions) {
    const result = await this.#withSignal(opts, (signal) =>
      this.#engine(engineId).getFrame(instance, frameNumber, { ...this.#frameOpts(opts), ...(signal ? { signal } : {}) }),
    );
    if (!result.ok || result.value === undefined) return result;
    const copy = transferable(result.value)!;
    return transfer({ ok: true as const, value: copy }, [copy.buffer as ArrayBuffer]);
  }

  async getFrames(engineId: number, instance: { url: string; frameCount: number }, frameNumbers: number[], opts: FrameCallOptions) {
    const result = await this.#withSignal(opts, (signal) =>
      this.#engine(engineId).getFrames(instance, frameNumbers, { ...this.#frameOpts(opts), ...(signal ? { signal } : {}) }),
    );
    if (!result.ok) return result;
    const copies = result.value.map(transferable);
    return transfer({ ok: true as const, value: copies }, buffersOf(copies));
  }

  async getCachedFrame(engineId: number, instanceUrl: string, frameNumber: number) {
    const result = await settle(() => this.#engine(engineId).getCachedFrame(instanceUrl, frameNumber));
    if (!result.ok || result.value === undefined) return result;
    const copy = transferable(result.value)!;
    return transfer({ ok: true as const, value: copy }, [copy.buffer as ArrayBuffer]);
  }

  preload(engineId: number, frames: Record<string, number[]>, opts: { blocking?: boolean; progressId?: number }) {
    return settle(() => {
      const { progressId } = opts;
      const callbacks = this.#callbacks.get(engineId);
      return this.#engine(engineId).preload(frames, {
        ...(opts.blocking === undefined ? {} : { blocking: opts.blocking }),
        ...(progressId !== undefined && callbacks
          ? { onProgress: (done: number, total: number) => void Promise.resolve(callbacks.progress(progressId, done, total)).catch(() => undefined) }
          : {}),
      });
    });
  }

  async exportFrames(engineId: number, frames: Record<string, number[]>) {
    const result = await settle(() => this.#engine(engineId).exportFrames(frames).map(([u, n, b]) => [u, n, b.slice()] as [string, number, Uint8Array]));
    if (!result.ok) return result;
    return transfer(result, result.value.map(([, , b]) => b.buffer as ArrayBuffer));
  }

  importFrames(engineId: number, entries: [string, number, Uint8Array][]) {
    return settle(() => this.#engine(engineId).importFrames(entries));
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
    return settle(() => this.#engine(engineId).stats());
  }

  resetStats(engineId: number) {
    return settle(() => this.#engine(engineId).resetStats());
  }

  clear(engineId: number, opts: { spill?: boolean }) {
    return settle(() => this.#engine(engineId).clear(opts));
  }

  setHint(engineId: number, hint: 'minimize-requests' | 'minimize-latency' | 'no-wait') {
    return settle(() => {
      this.#engine(engineId).hint = hint;
    });
  }

  close(engineId: number) {
    return this.dispose(engineId);
  }

  #engine(engineId: number): FrameCacheEngine {
    const engine = this.#engines.get(engineId);
    if (engine === undefined) throw new DOMException(`No engine ${engineId} in this worker`, 'InvalidStateError');
    return engine;
  }

  #frameOpts(opts: FrameCallOptions): { hint?: FrameCallOptions['hint']; priority?: FrameCallOptions['priority'] } {
    return {
      ...(opts.hint === undefined ? {} : { hint: opts.hint }),
      ...(opts.priority === undefined ? {} : { priority: opts.priority }),
    };
  }

  async #withSignal<T>(opts: FrameCallOptions, work: (signal: AbortSignal | undefined) => Promise<T>): Promise<WireResult<T>> {
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
