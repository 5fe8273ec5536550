/**
 * A viewer trace replayed through one peer: a list of views (overview, zoom in, pan at full
 * resolution, zoom out, pan), each a list of tiles the viewer does not hold yet. Each view's
 * tiles are asked for in order with `concurrency` in flight, and the next view starts when
 * the screen is painted (every tile of the view resolved).
 */
import { type InstanceTarget, type SeriesTarget, type TileReaderSpec, openTileGetter } from './readers.js';
import { now, pool } from './timing.js';

export interface TraceView {
  label: string;
  tiles: { instance: InstanceTarget; frameNumber: number }[];
}

export interface TraceResult {
  ms: number;
  tiles: number;
  missing: number;
  frameBytes: number;
  setupMs: number;
  viewMs: number[];
}

export async function replayTrace(spec: TileReaderSpec, series: SeriesTarget, views: TraceView[], concurrency: number): Promise<TraceResult> {
  const getter = await openTileGetter(spec, series);
  const viewMs: number[] = [];
  let tiles = 0;
  let missing = 0;
  let frameBytes = 0;
  const start = now();
  try {
    for (const view of views) {
      const viewStart = now();
      await pool(view.tiles, concurrency, async ({ instance, frameNumber }) => {
        const length = await getter.get(instance, frameNumber);
        tiles++;
        if (length === 0) missing++;
        frameBytes += length;
      });
      viewMs.push(now() - viewStart);
    }
    return { ms: now() - start, tiles, missing, frameBytes, setupMs: getter.setupMs, viewMs };
  } finally {
    await getter.close(false);
  }
}
