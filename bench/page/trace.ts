/**
 * A viewer trace replayed through one peer: a list of views (overview, zoom in, pan at full
 * resolution, zoom out, pan), each a list of tiles the viewer does not hold yet. Each view's
 * tiles are asked for in order with `concurrency` in flight, and the next view starts when
 * the screen is painted (every tile of the view resolved).
 */
import { type InstanceTarget, type SeriesTarget, type TileReaderSpec, type TraceLevelSpec, openTileGetter } from './readers.js';
import { now, pool } from './timing.js';

export interface TraceView {
  label: string;
  tiles: { instance: InstanceTarget; frameNumber: number }[];
  level: TraceLevelSpec;
  region: { x: number; y: number; width: number; height: number };
}

/** A viewer user's pause between two views (not timed): time for a prefetch to land. */
export const THINK_MS = 100;

export interface TraceResult {
  ms: number;
  tiles: number;
  missing: number;
  /** Tiles not in the module's memory when their view started (drawn grey first); all of them for (a). */
  greyTiles: number;
  frameBytes: number;
  setupMs: number;
  viewMs: number[];
}

export async function replayTrace(
  spec: TileReaderSpec,
  series: SeriesTarget,
  views: TraceView[],
  concurrency: number,
  prefetch = false,
): Promise<TraceResult> {
  const getter = await openTileGetter(spec, series);
  const viewMs: number[] = [];
  let tiles = 0;
  let missing = 0;
  let greyTiles = 0;
  let frameBytes = 0;
  let elapsed = 0;
  try {
    for (const view of views) {
      // Untimed: the user's pause, then which tiles the viewer cannot draw at once.
      await new Promise((resolve) => setTimeout(resolve, THINK_MS));
      for (const { instance, frameNumber } of view.tiles) {
        if (getter.cached === undefined || !(await getter.cached(instance, frameNumber))) greyTiles++;
      }
      const viewStart = now();
      await pool(view.tiles, concurrency, async ({ instance, frameNumber }) => {
        const length = await getter.get(instance, frameNumber);
        tiles++;
        if (length === 0) missing++;
        frameBytes += length;
      });
      const ms = now() - viewStart;
      viewMs.push(ms);
      elapsed += ms;
      if (prefetch) await getter.prefetch?.(view.level, view.region);
    }
    return { ms: elapsed, tiles, missing, greyTiles, frameBytes, setupMs: getter.setupMs, viewMs };
  } finally {
    await getter.close(false);
  }
}
