/**
 * The "Controls" and "Compare" cards: the hint switch, the IndexedDB switch, clear, reset,
 * preload this level (progress from `preload`'s onProgress) and compare mode.
 */
import type { FrameCache, Hint } from '../src/index.js';
import { compareLoads, type RunResult } from './compare.js';
import { formatBytes, formatCount, formatMs } from './format.js';
import type { SlideViewer } from './slide-viewer.js';

export interface ControlsHost {
  viewer: SlideViewer;
  cache: () => FrameCache;
  headers: (url: string) => Record<string, string>;
  hint: Hint;
  spill: boolean;
  setHint(hint: Hint): void;
  /** Replaces the cache with one that has (or has not) the IndexedDB tier. */
  setSpill(on: boolean): Promise<void>;
  /** Empties memory and IndexedDB, then reloads the view through the empty cache. */
  clearCache(): Promise<void>;
  resetCounters(): Promise<void>;
}

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`#${id} is missing from index.html`);
  return element as T;
}

function setBar(id: string, fraction: number): void {
  byId(id).style.width = `${(Math.min(1, Math.max(0, fraction)) * 100).toFixed(1)}%`;
}

export function wireControls(host: ControlsHost): void {
  for (const input of document.querySelectorAll<HTMLInputElement>('input[name="hint"]')) {
    input.checked = input.value === host.hint;
    input.addEventListener('change', () => {
      if (input.checked) host.setHint(input.value as Hint);
    });
  }

  const spill = byId<HTMLInputElement>('spill-toggle');
  spill.checked = host.spill;
  spill.addEventListener('change', () => {
    spill.disabled = true;
    void host.setSpill(spill.checked).finally(() => (spill.disabled = false));
  });

  const clear = byId<HTMLButtonElement>('clear-button');
  clear.addEventListener('click', () => {
    clear.disabled = true;
    void host.clearCache().finally(() => (clear.disabled = false));
  });
  byId('reset-button').addEventListener('click', () => void host.resetCounters());

  wirePreload(host);
  wireCompare(host);
}

function wirePreload(host: ControlsHost): void {
  const button = byId<HTMLButtonElement>('preload-button');
  const progress = byId('preload-progress');
  const text = byId('preload-text');
  button.addEventListener('click', async () => {
    const inView = host.viewer.levelInView();
    if (inView === undefined) return;
    const { level } = inView;
    const frames: Record<string, number[]> = {};
    for (const instance of level.instances)
      frames[instance.url] = Array.from({ length: instance.frameCount }, (_, i) => i + 1);
    const cache = host.cache();
    const label = `${level.width.toLocaleString('en')} × ${level.height.toLocaleString('en')}`;
    button.disabled = true;
    progress.hidden = false;
    progress.dataset['state'] = 'running';
    setBar('preload-bar', 0);
    text.textContent = `Level ${label}: starting…`;
    const before = await cache.stats();
    const started = performance.now();
    try {
      await cache.preload(frames, {
        onProgress: (done, total) => {
          setBar('preload-bar', total === 0 ? 1 : done / total);
          text.textContent = `Level ${label}: ${done} of ${total} frames`;
        },
      });
      const after = await cache.stats();
      const requests = after.requests - before.requests;
      text.textContent = `Level ${label}: ${level.frameCount} frames in memory, ${formatMs(performance.now() - started)}, ${requests} request${requests === 1 ? '' : 's'}`;
      progress.dataset['state'] = 'done';
    } catch (error) {
      text.textContent = `Preload failed: ${error instanceof Error ? error.message : String(error)}`;
      progress.dataset['state'] = 'failed';
    } finally {
      button.disabled = false;
    }
  });
}

function wireCompare(host: ControlsHost): void {
  const button = byId<HTMLButtonElement>('compare-button');
  const table = byId('compare-table');
  const summary = byId('compare-summary');
  const cell = (name: string): HTMLElement => document.querySelector<HTMLElement>(`[data-compare="${name}"]`)!;
  const show = (prefix: 'cache' | 'tile', result: RunResult): void => {
    cell(`${prefix}-requests`).textContent = formatCount(result.requests);
    cell(`${prefix}-requests`).dataset['value'] = String(result.requests);
    cell(`${prefix}-ms`).textContent = formatMs(result.ms);
    cell(`${prefix}-ms`).dataset['value'] = String(Math.round(result.ms));
    cell(`${prefix}-bytes`).textContent = formatBytes(result.bytes);
  };
  button.addEventListener('click', async () => {
    const frames = host.viewer.tilesInView();
    if (frames.length === 0) return;
    button.disabled = true;
    table.hidden = false;
    table.dataset['state'] = 'running';
    for (const name of ['cache-requests', 'cache-ms', 'cache-bytes', 'tile-requests', 'tile-ms', 'tile-bytes']) {
      cell(name).textContent = '…';
      delete cell(name).dataset['value'];
    }
    setBar('compare-cache-bar', 0);
    setBar('compare-tile-bar', 0);
    summary.textContent = `${frames.length} tiles over this view (this level and the coarser ones)…`;
    try {
      const { cache, perTile } = await compareLoads({
        frames,
        headers: host.headers,
        onProgress: (run, done, total) =>
          setBar(run === 'cache' ? 'compare-cache-bar' : 'compare-tile-bar', done / total),
        onRunEnd: (run, result) => show(run === 'cache' ? 'cache' : 'tile', result),
      });
      const fewer = perTile.requests / Math.max(1, cache.requests);
      const faster = perTile.ms / Math.max(1, cache.ms);
      summary.textContent =
        `${frames.length} tiles: ${formatCount(cache.requests)} request${cache.requests === 1 ? '' : 's'} instead of ${formatCount(perTile.requests)} ` +
        `(${fewer.toFixed(fewer < 10 ? 1 : 0)}× fewer), ${faster >= 1 ? `${faster.toFixed(1)}× faster` : `${(1 / faster).toFixed(1)}× slower`}. ` +
        'The cache also fetched the rest of each block, ready for the next pan.';
      table.dataset['state'] = 'done';
    } catch (error) {
      summary.textContent = `Compare failed: ${error instanceof Error ? error.message : String(error)}`;
      table.dataset['state'] = 'failed';
    } finally {
      button.disabled = false;
    }
  });
}
