/**
 * The live numbers: `cache.stats()` every 250 ms into the "Frame cache" card, and one chart
 * sample per second. Every value element also carries its raw number in `data-value`.
 */
import type { CacheStats, FrameCache } from '../src/index.js';
import type { TileJobCounts } from '../src/openseadragon-entry.js';
import { formatBytes, formatCount, formatMs, formatPercent } from './format.js';
import { StatsChart } from './stats-chart.js';

const POLL_MS = 250;

export interface PanelSources {
  cache: () => FrameCache;
  tileJobs: () => TileJobCounts | undefined;
  spillMaxBytes: () => number | undefined;
}

export class StatsPanel {
  readonly #sources: PanelSources;
  readonly #chart: StatsChart;
  readonly #memoryBar: HTMLElement;
  readonly #spillBar: HTMLElement;
  readonly #liveDot: HTMLElement | null;
  #last: CacheStats | undefined;
  #requestsAtLastSample = 0;
  #lastSampleAt = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #polling = false;
  #readSequence = 0;
  #shownSequence = 0;

  constructor(sources: PanelSources) {
    this.#sources = sources;
    this.#chart = new StatsChart(
      document.getElementById('chart') as HTMLCanvasElement,
      document.getElementById('chart-scale'),
    );
    this.#memoryBar = document.getElementById('memory-bar')!;
    this.#spillBar = document.getElementById('spill-bar')!;
    this.#liveDot = document.getElementById('live-dot');
    this.#chart.draw();
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.#tick(), POLL_MS);
    void this.refresh();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** The latest stats read (undefined before the first). */
  get last(): CacheStats | undefined {
    return this.#last;
  }

  /** Reads the stats now and shows them (unless a later read already showed newer ones); resolves with them. */
  async refresh(): Promise<CacheStats | undefined> {
    const sequence = ++this.#readSequence;
    try {
      const stats = await this.#sources.cache().stats();
      if (sequence > this.#shownSequence) {
        this.#shownSequence = sequence;
        this.#render(stats);
      }
      this.#liveDot?.classList.remove('stale');
      return stats;
    } catch {
      // The cache is being replaced (spill switch) or closed: the next tick reads the new one.
      this.#liveDot?.classList.add('stale');
      return this.#last;
    }
  }

  /** One poll at a time: a slow read (a busy worker) is not stacked up. */
  async #tick(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      await this.refresh();
    } finally {
      this.#polling = false;
    }
  }

  /** The counters start again (a new or reset cache). */
  resetHistory(): void {
    this.#requestsAtLastSample = 0;
    this.#chart.clear();
  }

  #render(stats: CacheStats): void {
    this.#last = stats;
    const lookups = stats.hits + stats.misses;
    const hitRate = lookups === 0 ? undefined : stats.hits / lookups;
    const jobs = this.#sources.tileJobs();
    const spillMax = this.#sources.spillMaxBytes();
    set('hitRate', hitRate ?? 0, formatPercent(hitRate));
    set('hits', stats.hits, formatCount(stats.hits));
    set('misses', stats.misses, formatCount(stats.misses));
    set('requests', stats.requests, formatCount(stats.requests));
    set('bytesReceived', stats.bytesReceived, formatBytes(stats.bytesReceived));
    set('inFlight', stats.inFlight, String(stats.inFlight));
    set('queued', stats.queued, String(stats.queued));
    set('cancelled', stats.cancelled, formatCount(stats.cancelled));
    const missWaitMs = stats.misses === 0 ? 0 : stats.blockedMs / stats.misses;
    set('missWaitMs', missWaitMs, stats.misses === 0 ? '–' : formatMs(missWaitMs));
    set('failedRequests', stats.failedRequests, String(stats.failedRequests));
    set('retries', stats.retries, String(stats.retries));
    set('evictions', stats.evictions, formatCount(stats.evictions));
    set('spillHits', stats.spillHits, formatCount(stats.spillHits));
    set('tilesFinished', jobs?.finished ?? 0, formatCount(jobs?.finished ?? 0));
    set('tilesAborted', jobs?.aborted ?? 0, formatCount(jobs?.aborted ?? 0));
    set('memoryBytes', stats.memoryBytes, formatBytes(stats.memoryBytes));
    const limit = stats.memoryLimitBytes;
    set('memoryLimitBytes', limit ?? Infinity, limit === undefined ? '∞' : formatBytes(limit));
    setBar(this.#memoryBar, limit === undefined || !Number.isFinite(limit) ? 0 : stats.memoryBytes / limit);
    set(
      'spillStoredBytes',
      stats.spillStoredBytes,
      spillMax === undefined ? 'off' : `${formatBytes(stats.spillStoredBytes)} of ${formatBytes(spillMax)}`,
    );
    setBar(this.#spillBar, spillMax === undefined ? 0 : stats.spillStoredBytes / spillMax);

    const now = performance.now();
    if (now - this.#lastSampleAt >= 1000) {
      this.#lastSampleAt = now;
      // A reset (or a new cache) makes the counter go down: count from there.
      const sent =
        stats.requests >= this.#requestsAtLastSample ? stats.requests - this.#requestsAtLastSample : stats.requests;
      this.#requestsAtLastSample = stats.requests;
      this.#chart.push({ requests: sent, hitRate });
    }
  }
}

function set(name: string, value: number, text: string): void {
  for (const element of document.querySelectorAll<HTMLElement>(`[data-stat="${name}"]`)) {
    element.textContent = text;
    element.dataset['value'] = String(value);
  }
}

function setBar(bar: HTMLElement, fraction: number): void {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  bar.style.width = `${(clamped * 100).toFixed(1)}%`;
}
