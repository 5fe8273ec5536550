/**
 * The scheduler's moving part: loads (one logical read: a frame list or a whole instance),
 * split into SourceRequests (one FrameSource call each), at most `maxConcurrentRequests` in
 * flight, frames delivered to waiters one by one as the source completes them.
 */
import { FrameCacheError, closedError } from '../shared/errors.js';
import { AbortFanout } from './abort-fanout.js';
import { chunk, rangesOf } from './frame-ranges.js';
import {
  InFlightRegistry,
  VISIBLE,
  type Load,
  type LoadKind,
  type PriorityRank,
  type SourceRequest,
  type Waiter,
} from './in-flight.js';
import { LoadLifecycle } from './load-lifecycle.js';
import type { LoaderDeps } from './loader-deps.js';
import { RequestQueue } from './request-queue.js';
import { canStart } from './start-rules.js';
import { originOf } from './origin.js';

export type { LoaderDeps } from './loader-deps.js';

export class Loader {
  readonly registry = new InFlightRegistry();
  readonly #deps: LoaderDeps;
  readonly #queue = new RequestQueue();
  readonly #running = new Map<SourceRequest, Promise<void>>();
  /** Per priority, how many times dropQueued superseded its queue (loads still reading the spill tier check it). */
  readonly #dropGeneration: [number, number, number, number] = [0, 0, 0, 0];
  #closed = false;
  /** A visible answer just arrived whole: nothing but visible starts until it reached its callers. */
  #handingOver = false;
  /**
   * Frame bytes delivered so far by the requests of each origin, whatever request brought them:
   * what the link carried while a request was answering is the link's rate, however many
   * requests shared it (LinkLearner, RequestSample.linkBytes).
   */
  readonly #linkBytes = new Map<string, number>();
  /** The callers' signals: one listener each, however many frames wait on one (abort-fanout.ts). */
  readonly #aborts = new AbortFanout();

  readonly #life: LoadLifecycle;

  constructor(deps: LoaderDeps) {
    this.#deps = deps;
    this.#life = new LoadLifecycle(this.registry, deps, () => this.#closed);
  }

  get inFlight(): number {
    return this.#running.size;
  }

  get queued(): number {
    return this.#queue.size;
  }

  isLoading(instanceUrl: string, frameNumber: number): boolean {
    return this.registry.isLoading(instanceUrl, frameNumber);
  }

  loads(instanceUrl?: string): Load[] {
    return this.registry.loads(instanceUrl);
  }

  /**
   * Where a loading frame stands in the non-visible request that brings it: how many frames
   * that request still delivers before it (answers come in list order), whether it runs yet,
   * and how many requests run at once. Undefined when a visible request (or none) brings it.
   */
  positionInBackground(
    instanceUrl: string,
    frameNumber: number,
  ): { framesBefore: number; started: boolean; running: number } | undefined {
    const owner = this.registry.isLoading(instanceUrl, frameNumber)
      ? this.registry.of(instanceUrl).ownerOf(frameNumber)
      : undefined;
    if (owner === undefined || owner.priority === VISIBLE || owner.frameNumbers === undefined) return undefined;
    const index = owner.frameNumbers.indexOf(frameNumber);
    if (index < 0) return undefined;
    const started = owner.state === 'running';
    const delivered = started ? (owner.deliveredFrames ?? 0) : 0;
    return { framesBefore: Math.max(0, index - delivered), started, running: this.#running.size };
  }

  /**
   * Loads a list of frames (sorted, none cached or loading: the engine filtered them). With
   * `requestFrames` (an aligned chunk holding every frame of `frameNumbers`), the request asks
   * for that list as it is, in one request: frames of it that are cached or loading elsewhere
   * are received again and dropped (the URL stays the same for every viewer).
   */
  startFrames(
    kind: LoadKind,
    instanceUrl: string,
    frameNumbers: number[],
    priority: PriorityRank,
    front = false,
    requestFrames?: number[],
  ): Load {
    const load = this.#life.create(kind, instanceUrl, frameNumbers);
    this.#deps.logger.debug('load started', {
      instanceUrl,
      kind,
      frameRanges: rangesOf(frameNumbers),
      loadId: load.id,
    });
    this.#readSpillThen(load, frameNumbers, priority, (rest) => {
      if (requestFrames !== undefined) this.#enqueue(load, requestFrames, priority, front);
      else this.#enqueueFrames(load, rest, priority, front);
    });
    return load;
  }

  /**
   * Loads a whole instance; frames already loading elsewhere may be delivered twice (kept once).
   * Frames found in the spill tier are not asked again: the rest goes out as frame lists, unless
   * `whole` (a level read in order, which asks for the file once rather than as many lists).
   */
  startInstance(instanceUrl: string, frameCount: number, priority: PriorityRank, whole = false): Load {
    const all = Array.from({ length: frameCount }, (_, i) => i + 1);
    const load = this.#life.create('instance', instanceUrl, all, frameCount);
    this.#deps.logger.debug('load started', { instanceUrl, kind: 'instance', frameCount, loadId: load.id });
    this.#readSpillThen(load, all, priority, (rest) => {
      if (whole || rest.length === all.length) this.#enqueue(load, undefined, priority, false);
      else this.#enqueueFrames(load, rest, priority, false);
    });
    return load;
  }

  /**
   * Waits for a frame that is loading. Resolves with its bytes, or undefined when its load
   * failed; rejects with `signal.reason` on abort and with 'closed' on close.
   */
  wait(
    instanceUrl: string,
    frameNumber: number,
    signal?: AbortSignal,
    priority: PriorityRank = 0,
  ): Promise<Uint8Array | undefined> {
    if (this.#closed) return Promise.reject(closedError());
    if (signal?.aborted) return Promise.reject(signal.reason);
    const state = this.registry.of(instanceUrl);
    if (!state.isLoading(frameNumber)) return Promise.resolve(this.#deps.peek(instanceUrl, frameNumber));
    return new Promise((resolve, reject) => {
      let settled = false;
      let stopListening: (() => void) | undefined;
      const waiter: Waiter = {
        resolve: (bytes) => {
          settled = true;
          stopListening?.();
          resolve(bytes);
        },
        reject: (error) => {
          settled = true;
          stopListening?.();
          reject(error);
        },
        request: undefined,
        priority,
      };
      this.#attach(waiter, state.ownerOf(frameNumber) ?? this.#adoptOwner(instanceUrl, frameNumber));
      state.addWaiter(frameNumber, waiter);
      // A queued request this waiter promoted may start now (a visible tile in a queued chunk).
      if (waiter.request?.state === 'queued') this.#pump();
      // Settled already (delivered from within #pump) or aborted meanwhile (by a callback of the
      // caller's, a logger): listen for nothing, or act on the abort now.
      if (signal && !settled) {
        const onAbort = (): void => {
          if (!state.removeWaiter(frameNumber, waiter)) return;
          this.#detach(waiter);
          this.registry.release(instanceUrl);
          reject(signal.reason);
        };
        if (signal.aborted) onAbort();
        else stopListening = this.#aborts.add(signal, onAbort);
      }
    });
  }

  /**
   * A loading frame whose owner already delivered it (two loads covered it: the first one's copy
   * was then evicted) has no owner while the other load still brings it: that request becomes
   * its owner, so a waiter counts on it (and promotes it, and keeps it from being dropped as
   * nobody's). Rare (an eviction between two loads of one frame), so a walk of the requests.
   */
  #adoptOwner(instanceUrl: string, frameNumber: number): SourceRequest | undefined {
    const open = [...this.#running.keys()];
    for (const rank of [0, 1, 2, 3] as const) open.push(...this.#queue.queuedAt(rank));
    const owner = open.find(
      (r) =>
        (r.state === 'queued' || r.state === 'running') &&
        r.load.instanceUrl === instanceUrl &&
        r.load.expected.has(frameNumber) &&
        (r.frameNumbers === undefined || r.frameNumbers.includes(frameNumber)),
    );
    if (owner !== undefined) this.registry.of(instanceUrl).setOwner(frameNumber, owner);
    return owner;
  }

  /**
   * Drops the queued requests of a priority that nobody waits for (a new prefetch supersedes
   * the old one's queue); counted as cancelled. Running requests are never aborted.
   */
  dropQueued(priority: PriorityRank): number {
    this.#dropGeneration[priority]++;
    let dropped = 0;
    for (const request of this.#queue.queuedAt(priority)) {
      if (request.waiters > 0) continue;
      this.#queue.drop(request);
      this.#deps.stats.add('cancelled');
      this.#life.finishRequest(request);
      dropped++;
    }
    return dropped;
  }

  /** Ends every load: queued requests dropped, running ones aborted, waiters rejected 'closed'. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const [, state] of this.registry.instances()) {
      for (const frameNumber of state.waiters.keys()) {
        for (const waiter of state.takeWaiters(frameNumber)) waiter.reject(closedError());
      }
    }
    for (const request of this.#queue.drain()) {
      request.state = 'dropped';
      this.#life.finishRequest(request);
    }
    for (const request of this.#running.keys()) request.controller.abort(closedError());
    await Promise.allSettled(this.#running.values());
  }

  #readSpillThen(load: Load, frameNumbers: number[], priority: PriorityRank, enqueue: (rest: number[]) => void): void {
    const { spill } = this.#deps;
    const generation = this.#dropGeneration[priority];
    const proceed = (): void => {
      let rest = frameNumbers.filter((n) => load.expected.has(n));
      // Superseded while it read the IndexedDB tier (dropQueued found nothing of it queued yet):
      // only the frames someone waits for still go out, as dropQueued keeps requests with waiters.
      if (this.#dropGeneration[priority] !== generation) {
        const state = this.registry.of(load.instanceUrl);
        rest = rest.filter((n) => state.waiters.has(n));
      }
      if (rest.length > 0 && !this.#closed) enqueue(rest);
      this.#life.finishRequest(undefined, load);
    };
    if (spill === undefined) {
      proceed();
      return;
    }
    const keys = frameNumbers.map((n) => this.#deps.spillKey(load.instanceUrl, n));
    spill
      .getMany(keys)
      .then((values) => {
        if (this.#closed) return;
        for (let i = 0; i < frameNumbers.length; i++) {
          const bytes = values[i];
          if (bytes !== undefined && bytes.byteLength > 0) {
            this.#deps.stats.add('spillHits');
            this.#deps.stats.add('spillHitBytes', bytes.byteLength);
            this.#life.deliver(load, undefined, frameNumbers[i]!, bytes, true);
          }
        }
      })
      .catch((error: unknown) => {
        this.#deps.logger.warn('spill read failed; loading from the network', {
          instanceUrl: load.instanceUrl,
          error: String(error),
        });
      })
      .finally(proceed);
  }

  /**
   * As many requests as framesPerRequest makes necessary, of equal size (500 frames: 250 + 250,
   * not 400 + 100): they run side by side, so the load ends when the larger one does.
   */
  #enqueueFrames(load: Load, frameNumbers: number[], priority: PriorityRank, front: boolean): void {
    const requests = Math.ceil(frameNumbers.length / this.#deps.framesPerRequest);
    const size = Math.ceil(frameNumbers.length / requests);
    for (const part of chunk(frameNumbers, size)) this.#enqueue(load, part, priority, front);
  }

  /**
   * Queues one request of `load`. With `replaces` (a yielded request, #handOver), the new one
   * takes over that request's frames and the waiters attached to it.
   */
  #enqueue(
    load: Load,
    frameNumbers: number[] | undefined,
    priority: PriorityRank,
    front: boolean,
    replaces?: SourceRequest,
  ): void {
    const request: SourceRequest = {
      load,
      frameNumbers,
      priority,
      state: 'queued',
      controller: new AbortController(),
      waiters: 0,
      hadWaiters: false,
    };
    load.openRequests++;
    const state = this.registry.of(load.instanceUrl);
    for (const n of frameNumbers ?? load.expected) {
      if (!load.expected.has(n)) continue; // an aligned chunk's frame that another load brings
      // A visible-first request is sent only for frames nothing brings soon: it leads them.
      if (load.kind === 'latency' || replaces !== undefined) state.takeOwnership(n, request);
      else state.setOwner(n, request);
      for (const waiter of state.waiters.get(n) ?? []) {
        if (replaces !== undefined && waiter.request === replaces) {
          replaces.waiters--;
          waiter.request = undefined;
        }
        if (waiter.request === undefined) this.#attach(waiter, request);
      }
    }
    this.#queue.push(request, front);
    this.#pump();
  }

  #attach(waiter: Waiter, request: SourceRequest | undefined): void {
    if (request === undefined) return;
    waiter.request = request;
    request.waiters++;
    request.hadWaiters = true;
    this.#queue.promote(request, waiter.priority);
  }

  /** A waiter left (abort): a queued request nobody waits for any more is dropped unsent. */
  #detach(waiter: Waiter): void {
    const request = waiter.request;
    if (request === undefined) return;
    waiter.request = undefined;
    request.waiters--;
    if (request.state === 'queued' && request.hadWaiters && request.waiters === 0) {
      this.#queue.drop(request);
      this.#deps.stats.add('cancelled');
      this.#deps.logger.debug('queued request dropped: every waiter left', {
        instanceUrl: request.load.instanceUrl,
        frameRanges: request.frameNumbers ? rangesOf(request.frameNumbers) : 'instance',
      });
      this.#life.finishRequest(request);
    }
  }

  /**
   * A visible answer arrived whole: the background behind it starts a task later, once its
   * frames went to their callers. Started at once, a chunk's fetch() and its answer (the
   * server's parse, the browser's read) ran before the view's frames were posted to the page,
   * on a machine whose cores they share (docs/worker-cost.md, "The view's requests before its
   * blocks").
   */
  #answerDelivered(): void {
    const afterAnswers = this.#deps.afterAnswers;
    if (afterAnswers === undefined) {
      if (this.#queue.size > 0) this.#pump();
      return;
    }
    if (this.#handingOver) return;
    this.#handingOver = true;
    afterAnswers(() => {
      this.#handingOver = false;
      this.#pump();
    });
  }

  #pump(): void {
    while (!this.#closed && this.#running.size < this.#deps.maxConcurrentRequests) {
      const request = this.#queue.shift(
        (r) => (r.priority === VISIBLE || !this.#handingOver) && canStart(r, this.#running, this.#deps),
      );
      if (request === undefined) return;
      this.#running.set(request, this.#run(request));
      if (request.priority === VISIBLE && request.load.kind === 'latency') this.#yieldBackground(request);
    }
  }

  /**
   * A visible-first request started: running background requests of its origin that would hold
   * the link long enough are stopped (docs/scheduler.md, "Yielding the link"), so its answer does
   * not queue behind theirs. The frames they had not delivered are asked again in one request of
   * exactly those frames, behind what is queued at their priority (#handOver). A request someone
   * waits on runs on, as does a whole-instance read (its rest as a frame list could cost the
   * server more than the read).
   */
  #yieldBackground(visible: SourceRequest): void {
    const shouldYield = this.#deps.shouldYield;
    if (shouldYield === undefined) return;
    const origin = originOf(visible.load.instanceUrl);
    const now = this.#deps.clock.now();
    for (const running of this.#running.keys()) {
      if (running.priority === VISIBLE || running.state !== 'running' || running.yielded === true) continue;
      if (running.waiters > 0 || running.frameNumbers === undefined) continue;
      if (originOf(running.load.instanceUrl) !== origin) continue;
      const left = running.frameNumbers.length - (running.deliveredFrames ?? 0);
      // What asking again would cost this instance: its first frame's time (so far, if none yet).
      const firstFrameMs = (running.firstFrameAt ?? now) - (running.startedAt ?? now);
      if (left <= 0 || !shouldYield(running.load.instanceUrl, left, firstFrameMs)) continue;
      running.yielded = true;
      this.#deps.stats.add('yieldedRequests');
      this.#deps.logger.debug('background request yields to a visible one', {
        instanceUrl: running.load.instanceUrl,
        frameRanges: rangesOf(running.frameNumbers),
        framesLeft: left,
      });
      running.controller.abort(new Error('yielded to a visible request'));
    }
  }

  /**
   * A yielded request ended: its frames still expected (and still its own) go out again as one
   * request at its priority, behind what is queued there; waiters attached to it move to it.
   */
  #handOver(old: SourceRequest): void {
    const { load } = old;
    const state = this.registry.of(load.instanceUrl);
    const rest = this.#closed
      ? []
      : (old.frameNumbers ?? []).filter((n) => load.expected.has(n) && state.ownerOf(n) === old);
    if (rest.length > 0) this.#enqueue(load, rest, old.priority, false, old);
    this.#life.finishRequest(old, load, new Set(rest));
  }

  async #run(request: SourceRequest): Promise<void> {
    const { load } = request;
    const { source, stats, logger, clock } = this.#deps;
    request.state = 'running';
    request.startedAt = clock.now();
    request.deliveredFrames = 0;
    request.deliveredBytes = 0;
    load.startedAt ??= request.startedAt;
    load.sentRequests++;
    stats.add('requests');
    // Once per request, not per frame: the origin whose link bytes its frames count in.
    const origin = originOf(load.instanceUrl);
    const onFrame = (frameNumber: number, bytes: Uint8Array): void => {
      if (request.state !== 'running') return;
      const linkBytes = this.#countLinkBytes(origin, bytes.byteLength);
      if (request.firstFrameAt === undefined) {
        request.firstFrameAt = clock.now();
        request.linkBytesAtFirstFrame = linkBytes;
        request.firstFrameBytes = bytes.byteLength;
      }
      request.deliveredFrames!++;
      request.deliveredBytes! += bytes.byteLength;
      this.#life.deliver(load, request, frameNumber, bytes, false);
      if (request.priority !== VISIBLE || load.kind !== 'latency') return;
      if (request.deliveredFrames === request.frameNumbers?.length) this.#answerDelivered();
      // Background queued behind a visible answer may start once the rest of it is close.
      else if (this.#queue.size > 0) this.#pump();
    };
    const opts = {
      signal: request.controller.signal,
      onRetry: (attempt: number, reason: string) => {
        request.retried = true;
        stats.add('retries');
        stats.add('requests');
        logger.warn('request retried', { instanceUrl: load.instanceUrl, attempt, reason });
      },
      onBytes: (count: number) => stats.add('bytesReceived', count),
      onTimeout: () => stats.add('timeouts'),
    };
    try {
      // A microtask boundary so that a source calling back synchronously still finds the
      // request registered as running.
      await Promise.resolve();
      if (request.frameNumbers === undefined) {
        const { frameCount } = await source.fetchInstance(load.instanceUrl, onFrame, opts);
        const expected = load.instanceFrameCount ?? frameCount;
        if (frameCount !== expected) {
          logger.warn('instance frame count differs from the expected one; using the real count', {
            instanceUrl: load.instanceUrl,
            expected,
            frameCount,
          });
        }
      } else {
        await source.fetchFrames(load.instanceUrl, request.frameNumbers, onFrame, opts);
      }
    } catch (error) {
      if (request.yielded === true) {
        // Stopped on purpose (#yieldBackground): its rest is asked again, nothing failed.
      } else if (!this.#closed) {
        stats.add('failedRequests');
        logger.error('request failed', {
          instanceUrl: load.instanceUrl,
          frameRanges: request.frameNumbers ? rangesOf(request.frameNumbers) : 'instance',
          code: error instanceof FrameCacheError ? error.code : undefined,
          status: error instanceof FrameCacheError ? error.status : undefined,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    } finally {
      request.state = 'done';
      this.#running.delete(request);
      // A yielded request's cut timing teaches the link learner nothing; its rest goes out again.
      if (request.yielded === true) this.#handOver(request);
      else {
        this.#deps.onRequestMeasured?.(load.instanceUrl, {
          startedAt: request.startedAt,
          firstFrameAt: request.firstFrameAt,
          endedAt: clock.now(),
          frames: request.deliveredFrames,
          bytes: request.deliveredBytes,
          firstFrameBytes: request.firstFrameBytes ?? 0,
          linkBytes:
            request.linkBytesAtFirstFrame === undefined
              ? 0
              : (this.#linkBytes.get(origin) ?? 0) - request.linkBytesAtFirstFrame,
        });
        this.#life.finishRequest(request);
      }
      this.#pump();
    }
  }

  /** Counts `bytes` delivered on `origin`; returns the origin's total. */
  #countLinkBytes(origin: string, bytes: number): number {
    const total = (this.#linkBytes.get(origin) ?? 0) + bytes;
    this.#linkBytes.set(origin, total);
    return total;
  }
}
