/**
 * Where the worker gets engines. A dedicated worker builds one engine per FrameCache; the
 * shared worker gives every tab that asks with the same settings the same engine (one memory
 * LRU, one request stream), counting each tab's hits and misses apart.
 */
import { releaseProxy, type Remote } from 'comlink';
import { FrameCacheEngine } from '../platform/frame-cache-engine.js';
import type { FrameCacheEngineOptions, PlatformDefaults, Tally } from '../core/engine.js';
import type { LogFields, Logger } from '../core/ports.js';
import type { CreateEngineRequest, EngineCallbacks } from '../shared/protocol.js';
import { randomUid } from '../shared/uid.js';
import { FrameCacheError } from '../shared/errors.js';

export interface EngineLease {
  readonly engine: FrameCacheEngine;
  /** This tab's part of the hits and misses (shared mode). */
  readonly tally: Tally | undefined;
  /** Preload progress goes to the tab that asked. */
  readonly callbacks: Remote<EngineCallbacks> | undefined;
  /**
   * Zeroes the engine's counters. A shared engine's counters are every tab's totals: its
   * attached tabs' parts (`tally`) are zeroed with them, so no tab sees a total below its part.
   */
  resetStats(): Promise<void>;
  release(): Promise<void>;
}

export interface EngineRegistry {
  acquire(
    request: CreateEngineRequest,
    callbacks: Remote<EngineCallbacks> | undefined,
    parent: EngineLease | undefined,
  ): EngineLease;
}

function remoteLogger(pick: () => Remote<EngineCallbacks> | undefined): Logger {
  const send = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, fields?: LogFields) => {
    // Fire and forget: a log record must never hold up a load.
    const target = pick();
    if (target) Promise.resolve(target.log(level, message, fields)).catch(() => undefined);
  };
  return { debug: send('debug'), info: send('info'), warn: send('warn'), error: send('error') };
}

/**
 * The page's frame channel sends the calls of one page task as one message (frame-channel.ts),
 * so a view's misses reach the engine in one task: the batch ends when that task does (a
 * zero-delay timer, re-armed by each miss), not after a quiet time. The Service Worker, whose
 * tiles come as separate fetch events, keeps the platform's window.
 */
export const WORKER_PLATFORM: Partial<PlatformDefaults> = { batchWindow: { quietMs: 0, maxMs: 16 } };

function engineOptions(
  request: CreateEngineRequest,
  pick: () => Remote<EngineCallbacks> | undefined,
  extra: Partial<FrameCacheEngineOptions> | undefined,
): FrameCacheEngineOptions {
  let first = true;
  return {
    ...request.options,
    ...extra,
    // The first uid asked for is the cacheInstanceUid; later ones (log worker uids) are new.
    uid: () => {
      if (!first) return randomUid();
      first = false;
      return request.cacheInstanceUid;
    },
    ...(request.hasHeadersFunction
      ? {
          headers: async (url: string) => {
            // Never a request without the credential the app meant: with no tab left to ask,
            // the load fails ('headers') instead of going out with none.
            const target = pick();
            if (target === undefined) throw new FrameCacheError('headers', 'No tab is attached to give the headers');
            return target.headers(url);
          },
        }
      : {}),
    ...(request.hasLogger ? { logger: remoteLogger(pick) } : {}),
  };
}

function releaseCallbacks(callbacks: Remote<EngineCallbacks> | undefined): void {
  try {
    callbacks?.[releaseProxy]();
  } catch {
    // Already released (the tab is gone).
  }
}

/** One engine per FrameCache (dedicated worker, or tests over a MessageChannel). */
export class DedicatedRegistry implements EngineRegistry {
  readonly #extra: Partial<FrameCacheEngineOptions> | undefined;

  constructor(extra?: Partial<FrameCacheEngineOptions>) {
    this.#extra = extra;
  }

  acquire(
    request: CreateEngineRequest,
    callbacks: Remote<EngineCallbacks> | undefined,
    parent: EngineLease | undefined,
  ): EngineLease {
    const engine = parent
      ? parent.engine.clone()
      : new FrameCacheEngine(
          engineOptions(request, () => callbacks, this.#extra),
          WORKER_PLATFORM,
        );
    return {
      engine,
      tally: undefined,
      callbacks,
      resetStats: () => engine.resetStats(),
      release: async () => {
        releaseCallbacks(callbacks);
        await engine.close();
      },
    };
  }
}

interface SharedEntry {
  engine: FrameCacheEngine;
  /** Attached tabs' callbacks, most recent last: headers and logs go to the newest live one. */
  tabs: Remote<EngineCallbacks>[];
  /** Each attached lease's part of the hits and misses. */
  tallies: Set<Tally>;
  leases: number;
}

/**
 * Settings that must match for two tabs to share an engine. Static header values are part of
 * the key as JSON, held in the worker's memory only (never stored or logged).
 */
function shareKey(request: CreateEngineRequest): string {
  const { hint: _hint, ...settings } = request.options;
  return JSON.stringify([settings, request.hasHeadersFunction ?? false, request.hasLogger ?? false]);
}

/** Tabs asking with the same settings share one engine; it closes with its last lease. */
export class SharedRegistry implements EngineRegistry {
  readonly #entries = new Map<string, SharedEntry>();
  readonly #extra: Partial<FrameCacheEngineOptions> | undefined;

  constructor(extra?: Partial<FrameCacheEngineOptions>) {
    this.#extra = extra;
  }

  acquire(
    request: CreateEngineRequest,
    callbacks: Remote<EngineCallbacks> | undefined,
    parent: EngineLease | undefined,
  ): EngineLease {
    if (parent !== undefined) return new DedicatedRegistry(this.#extra).acquire(request, callbacks, parent);
    const key = shareKey(request);
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      const tabs: Remote<EngineCallbacks>[] = [];
      const created: SharedEntry = {
        engine: new FrameCacheEngine(
          engineOptions(request, () => tabs.at(-1), this.#extra),
          WORKER_PLATFORM,
        ),
        tabs,
        tallies: new Set(),
        leases: 0,
      };
      entry = created;
      this.#entries.set(key, entry);
    }
    const shared = entry;
    shared.leases++;
    if (callbacks) shared.tabs.push(callbacks);
    let released = false;
    const tally: Tally = { hits: 0, misses: 0 };
    shared.tallies.add(tally);
    return {
      engine: shared.engine,
      tally,
      callbacks,
      resetStats: async () => {
        await shared.engine.resetStats();
        for (const part of shared.tallies) Object.assign(part, { hits: 0, misses: 0 });
      },
      release: async () => {
        if (released) return;
        released = true;
        shared.tallies.delete(tally);
        if (callbacks) {
          const index = shared.tabs.indexOf(callbacks);
          if (index >= 0) shared.tabs.splice(index, 1);
          releaseCallbacks(callbacks);
        }
        if (--shared.leases > 0) return;
        this.#entries.delete(key);
        await shared.engine.close();
      },
    };
  }
}
