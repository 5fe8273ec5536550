/** The engine's own option and port types (docs/design.md, "Public API"), and its internal hooks. */
import type { LinkLearner } from './link-learner.js';
import type { ModeLearner } from './mode-learner.js';
import type { ResolvedOptions, ResolvedSpillOptions } from './options.js';
import type { Clock, FetchLike, FrameSource, Logger, SpillStore, Timers } from './ports.js';
import type { FrameCacheOptions } from './types.js';

export type { PrefetchOptions } from './types.js';

/** Ports the engine takes on top of the shared options; each left unset gets the real platform's. */
export interface EnginePorts {
  source?: FrameSource;
  fetch?: FetchLike;
  clock?: Clock;
  timers?: Timers;
  spillStore?: SpillStore;
  uid?: () => string;
}

export interface FrameCacheEngineOptions extends FrameCacheOptions, EnginePorts {}

export const PORT_KEYS = ['source', 'fetch', 'clock', 'timers', 'spillStore', 'uid'] as const;

/** How the entry point fills the ports left unset (real fetch, clock, timers, IndexedDB). */
export interface PlatformDefaults {
  clock(): Clock;
  timers(): Timers;
  uid(): string;
  createSource(
    options: ResolvedOptions,
    ports: { fetch: FetchLike | undefined; clock: Clock; timers: Timers; logger: Logger },
  ): FrameSource;
  createSpillStore?(spill: ResolvedSpillOptions, ports: { clock: Clock; logger: Logger }): SpillStore | undefined;
  /** What the platform learned of each server's read modes (shared by the engines of a worker). */
  modeLearner?(): ModeLearner;
  /** What the platform learned of each server's link (shared by the engines of a worker). */
  linkLearner?(): LinkLearner;
  /**
   * How long visible misses are collected before they go out as one request: until no new miss
   * came for `quietMs`, at most `maxMs` after the first. A worker receives each call of the page
   * as its own task, and a Service Worker each tile as its own fetch event, so the calls of one
   * screen arrive spread over a few milliseconds (measured in Chromium: a zero-delay timer
   * flushed after the first of 30). Without it the engine collects the misses of one
   * synchronous task (a microtask).
   */
  batchWindow?: { quietMs: number; maxMs: number };
  /**
   * Whether a visible frame deep in a slow background chunk may get a request of its own
   * (docs/scheduler.md, "Overtaking a chunk"). Default true. The Service Worker turns it off:
   * its read plan has tiles wait for their chunk on purpose, to keep the archive's requests few.
   */
  overtakeChunks?: boolean;
}

/**
 * @internal A symbol-keyed request option (invisible to the option check): hits and misses of
 * the call are also counted here. The shared worker keeps one per tab for `stats().tab`.
 */
export const TALLY: unique symbol = Symbol('dicomweb-frame-cache.tally');
export interface Tally {
  hits: number;
  misses: number;
}
