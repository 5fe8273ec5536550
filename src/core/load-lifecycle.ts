/**
 * A load's life in the Loader (loader.ts): made with its frames marked loading; each frame
 * delivered is admitted and handed to its waiters; each request that ends releases the frames it
 * did not bring; the last one ends the load (its stats, the link learner's measure, its promise).
 */
import { rangesOf } from './frame-ranges.js';
import type { InFlightRegistry, Load, LoadKind, SourceRequest } from './in-flight.js';
import type { LoaderDeps } from './loader-deps.js';

export class LoadLifecycle {
  readonly #registry: InFlightRegistry;
  readonly #deps: LoaderDeps;
  readonly #isClosed: () => boolean;
  #nextLoadId = 1;

  constructor(registry: InFlightRegistry, deps: LoaderDeps, isClosed: () => boolean) {
    this.#registry = registry;
    this.#deps = deps;
    this.#isClosed = isClosed;
  }

  create(kind: LoadKind, instanceUrl: string, frameNumbers: number[], instanceFrameCount?: number): Load {
    let settle!: () => void;
    const done = new Promise<void>((resolve) => (settle = resolve));
    const load: Load = {
      id: this.#nextLoadId++,
      kind,
      instanceUrl,
      expected: new Set(frameNumbers),
      instanceFrameCount,
      createdAt: this.#deps.clock.now(),
      startedAt: undefined,
      openRequests: 1, // held until the spill read has queued the requests
      networkFrames: 0,
      networkBytes: 0,
      sentRequests: 0,
      done,
      settle,
    };
    const state = this.#registry.of(instanceUrl);
    state.loads.add(load);
    for (const n of frameNumbers) state.markLoading(n);
    return load;
  }

  deliver(
    load: Load,
    request: SourceRequest | undefined,
    frameNumber: number,
    bytes: Uint8Array,
    fromSpill: boolean,
  ): void {
    if (!load.expected.delete(frameNumber)) {
      // The file holds more frames than the caller said: keep them too (the real count wins).
      const extra =
        load.instanceFrameCount !== undefined &&
        frameNumber > load.instanceFrameCount &&
        this.#deps.peek(load.instanceUrl, frameNumber) === undefined;
      if (!extra) return; // not asked for, or delivered already
      this.#deps.admit(load.instanceUrl, frameNumber, bytes, fromSpill);
      if (!fromSpill) {
        load.networkFrames++;
        load.networkBytes += bytes.byteLength;
      }
      return;
    }
    const { stats, clock } = this.#deps;
    const state = this.#registry.of(load.instanceUrl);
    state.unmarkLoading(frameNumber, request);
    const kept = this.#deps.admit(load.instanceUrl, frameNumber, bytes, fromSpill);
    if (!fromSpill) {
      load.networkFrames++;
      load.networkBytes += bytes.byteLength;
      if (load.kind === 'latency') {
        stats.add('latencyFrameReads');
        stats.add('latencyFrameReadMs', clock.now() - load.createdAt);
      }
    }
    for (const waiter of state.takeWaiters(frameNumber)) {
      if (waiter.request) waiter.request.waiters--;
      waiter.resolve(kept);
    }
  }

  /**
   * A request ended (or, with `request` undefined, the spill read of `load` did): frames it
   * should have delivered and did not are released; their waiters get the cached bytes
   * if another load brought them, else undefined.
   */
  finishRequest(
    request: SourceRequest | undefined,
    load: Load = request!.load,
    handedOver?: ReadonlySet<number>,
  ): void {
    const state = this.#registry.of(load.instanceUrl);
    if (request !== undefined) {
      const missing = (request.frameNumbers ?? [...load.expected]).filter(
        (n) => load.expected.has(n) && handedOver?.has(n) !== true,
      );
      for (const n of missing) {
        load.expected.delete(n);
        if (!state.unmarkLoading(n, request)) continue;
        const bytes = this.#deps.peek(load.instanceUrl, n);
        for (const waiter of state.takeWaiters(n)) {
          if (waiter.request) waiter.request.waiters--;
          waiter.resolve(bytes);
        }
      }
      if (missing.length > 0 && request.state === 'done' && !this.#isClosed()) {
        this.#deps.logger.warn('frames not delivered', {
          instanceUrl: load.instanceUrl,
          frameRanges: rangesOf(missing.sort((a, b) => a - b)),
        });
      }
    }
    if (--load.openRequests > 0) return;
    this.end(load);
  }

  end(load: Load): void {
    const state = this.#registry.of(load.instanceUrl);
    // Frames of a load that never queued a request for them (closed meanwhile).
    for (const n of load.expected) {
      if (!state.unmarkLoading(n, undefined)) continue;
      const bytes = this.#deps.peek(load.instanceUrl, n);
      for (const waiter of state.takeWaiters(n)) waiter.resolve(bytes);
    }
    load.expected.clear();
    state.loads.delete(load);
    const { stats, clock } = this.#deps;
    if (load.sentRequests > 0 && load.startedAt !== undefined) {
      const ms = clock.now() - load.startedAt;
      this.#deps.logger.debug('load ended', {
        instanceUrl: load.instanceUrl,
        kind: load.kind,
        loadId: load.id,
        frames: load.networkFrames,
        bytes: load.networkBytes,
        requests: load.sentRequests,
        elapsedMs: Math.round(ms * 1000) / 1000,
      });
      this.#deps.onLoadMeasured?.(load.instanceUrl, load.kind, load.networkBytes, ms);
      if (load.kind === 'block') {
        stats.add('blockReads');
        stats.add('blockFrames', load.networkFrames);
        stats.add('blockBytes', load.networkBytes);
        stats.add('blockReadMs', ms);
      } else if (load.kind === 'instance') {
        stats.add('instanceReads');
        stats.add('instanceFrames', load.networkFrames);
        stats.add('instanceBytes', load.networkBytes);
        stats.add('instanceReadMs', ms);
      }
    }
    this.#registry.release(load.instanceUrl);
    load.settle();
  }
}
