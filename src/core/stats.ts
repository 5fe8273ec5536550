/** The counters of CacheStats (each field documented in types.ts), kept by the engine. */
import type { LinkEstimate } from './link-learner.js';
import type { CacheStats } from './types.js';

export type Counter = Exclude<
  keyof CacheStats,
  | 'firstFrameRead'
  | 'lastFrameRead'
  | 'memoryBytes'
  | 'memoryLimitBytes'
  | 'inFlight'
  | 'queued'
  | 'spillStoredBytes'
  | 'spillErrors'
  | 'tab'
  | 'links'
  | 'decoded'
>;

const COUNTERS: readonly Counter[] = [
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
  'requests',
  'failedRequests',
  'retries',
  'timeouts',
  'bytesReceived',
  'cancelled',
  'yieldedRequests',
  'inOrderWholeReads',
  'spillHits',
  'spillHitBytes',
  'evictions',
];

export class StatsCounters {
  readonly values: Record<Counter, number> = StatsCounters.#zero();
  firstFrameRead: number | undefined;
  lastFrameRead: number | undefined;

  static #zero(): Record<Counter, number> {
    return Object.fromEntries(COUNTERS.map((name) => [name, 0])) as Record<Counter, number>;
  }

  add(name: Counter, amount = 1): void {
    this.values[name] += amount;
  }

  noteFrameRead(frameNumber: number): void {
    if (this.firstFrameRead === undefined || frameNumber < this.firstFrameRead) this.firstFrameRead = frameNumber;
    if (this.lastFrameRead === undefined || frameNumber > this.lastFrameRead) this.lastFrameRead = frameNumber;
  }

  reset(): void {
    Object.assign(this.values, StatsCounters.#zero());
    this.firstFrameRead = undefined;
    this.lastFrameRead = undefined;
  }

  snapshot(live: {
    memoryBytes: number;
    memoryLimitBytes: number;
    inFlight: number;
    queued: number;
    spillStoredBytes: number;
    spillErrors: number;
    links: LinkEstimate[];
  }): CacheStats {
    const stats: CacheStats = {
      ...this.values,
      memoryBytes: live.memoryBytes,
      inFlight: live.inFlight,
      queued: live.queued,
      spillStoredBytes: live.spillStoredBytes,
      spillErrors: live.spillErrors,
      links: live.links,
    };
    if (this.firstFrameRead !== undefined) stats.firstFrameRead = this.firstFrameRead;
    if (this.lastFrameRead !== undefined) stats.lastFrameRead = this.lastFrameRead;
    if (Number.isFinite(live.memoryLimitBytes)) stats.memoryLimitBytes = live.memoryLimitBytes;
    return stats;
  }
}
