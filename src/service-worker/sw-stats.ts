/** What the Service Worker counts on top of its engines' CacheStats (read with the page helper). */
import type { CacheStats } from '../core/types.js';
import type { ReadPlan } from './read-plan.js';

/** Why a frame request was passed to the network instead of answered from the cache. */
export type PassReason = 'no-frame-count' | 'frames-missing' | 'no-part-info' | 'error';

export interface ServiceWorkerCounters {
  /** Frame GETs under the roots with a multipart Accept (the ones the worker tries to answer). */
  frameRequests: number;
  /** Of those, answered from the cache. */
  served: number;
  /** Frames in those answers. */
  servedFrames: number;
  /**
   * Frame requests answered through the engine, by how a miss among their frames is read
   * (read-plan.ts): the aligned chunk first, or the engine's visible request then the chunk.
   * Requests whose frames were all cached count too (the plan is chosen before the lookup).
   */
  plans: Record<ReadPlan, number>;
  /** Frame requests passed to the network, by reason (a broken cache never breaks the viewer). */
  passedThrough: Record<PassReason, number>;
  /** Metadata answers read for NumberOfFrames on their way to the page. */
  metadataSeen: number;
  /** Instances whose frame count is known (from passing metadata or one read of their own). */
  frameCountsKnown: number;
  /** Metadata reads the worker made itself (frame count not seen passing through). */
  metadataReads: number;
  /** Auth scopes (engines) alive. */
  scopes: number;
}

export interface ServiceWorkerStats extends ServiceWorkerCounters {
  /** The engines' CacheStats summed over scopes (memoryLimitBytes: per engine). */
  cache: CacheStats;
}

export function zeroCounters(): ServiceWorkerCounters {
  return {
    frameRequests: 0,
    served: 0,
    servedFrames: 0,
    plans: { chunk: 0, visible: 0 },
    passedThrough: { 'no-frame-count': 0, 'frames-missing': 0, 'no-part-info': 0, error: 0 },
    metadataSeen: 0,
    frameCountsKnown: 0,
    metadataReads: 0,
    scopes: 0,
  };
}

/** Sums numeric CacheStats fields over engines; min/max for first/last frame read times. */
const REQUIRED: readonly (keyof CacheStats)[] = [
  'hits',
  'misses',
  'blockReads',
  'blockFrames',
  'blockBytes',
  'blockReadMs',
  'instanceReads',
  'instanceFrames',
  'instanceBytes',
  'instanceReadMs',
  'latencyFrameReads',
  'latencyFrameReadMs',
  'blockedMs',
  'memoryBytes',
  'requests',
  'failedRequests',
  'retries',
  'timeouts',
  'bytesReceived',
  'inFlight',
  'queued',
  'cancelled',
  'yieldedRequests',
  'inOrderWholeReads',
  'spillHits',
  'spillHitBytes',
  'spillStoredBytes',
  'spillErrors',
  'evictions',
];

export function sumCacheStats(all: readonly CacheStats[]): CacheStats {
  const out: Record<string, number | undefined> = Object.fromEntries(REQUIRED.map((name) => [name, 0]));
  for (const stats of all) {
    for (const [name, value] of Object.entries(stats)) {
      if (typeof value !== 'number') continue;
      if (name === 'firstFrameRead') out[name] = Math.min(out[name] ?? Infinity, value);
      else if (name === 'lastFrameRead') out[name] = Math.max(out[name] ?? -Infinity, value);
      // Gauges of one thing every scope shares: the limit, and the IndexedDB database's bytes.
      else if (name === 'memoryLimitBytes' || name === 'spillStoredBytes') out[name] = Math.max(out[name] ?? 0, value);
      else out[name] = (out[name] ?? 0) + value;
    }
  }
  return out as unknown as CacheStats;
}
