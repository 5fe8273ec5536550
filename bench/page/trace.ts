/**
 * A viewer trace replayed through one peer (issue 11): a list of views (overview, zoom in, pan
 * at full resolution, zoom out, pan), each the tiles the viewer does not hold yet. A view's
 * tiles are all asked for when it starts, and the view is painted when every one resolved.
 * Between views the user looks at the screen for `pauseMs` (kept: loads in the background go
 * on meanwhile, as in a real session). Clocks (docs/benchmarks.md):
 *  - setupMs:    worker start + engine build (module), before the trace starts;
 *  - viewMs[i]:  view i asked for -> every tile resolved (pauses left out);
 *  - wallMs:     first view asked for -> last view painted, pauses included (setup left out).
 */
import { type ViewReaderSpec, type ViewTile, openViewPainter } from './view-readers.js';
import type { SeriesTarget, TraceLevelSpec } from './readers.js';
import { now } from './timing.js';

export interface TraceView {
  label: string;
  tiles: ViewTile[];
  level: TraceLevelSpec;
  region: { x: number; y: number; width: number; height: number };
}

export interface TraceOptions {
  /** The user's look at each painted view before the next, ms. */
  pauseMs: number;
  /** Tiles in flight for per-tile HTTP peers (the viewer's image loader limit). */
  tileConcurrency: number;
}

export interface TraceResult {
  setupMs: number;
  viewMs: number[];
  wallMs: number;
  sumViewMs: number;
  tiles: number;
  missing: number;
  frameBytes: number;
  /** Views with at least one tile that needed the network when the view started. */
  waitedViews: number;
  /** Tiles that needed the network when their view started (drawn grey first). */
  greyTiles: number;
  /** Module: its stats() at the end (what it learned of the link too). */
  stats?: Record<string, unknown>;
}

export async function replayTrace(
  spec: ViewReaderSpec,
  series: SeriesTarget,
  views: TraceView[],
  options: TraceOptions,
): Promise<TraceResult> {
  const painter = await openViewPainter(spec, series, options.tileConcurrency);
  const viewMs: number[] = [];
  let tiles = 0;
  let missing = 0;
  let frameBytes = 0;
  let waitedViews = 0;
  let greyTiles = 0;
  try {
    const start = now();
    for (const [index, view] of views.entries()) {
      if (index > 0) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
      const grey = await painter.notHeld(view.tiles);
      greyTiles += grey;
      if (grey > 0) waitedViews++;
      const viewStart = now();
      const painted = await painter.paint(view.tiles);
      viewMs.push(now() - viewStart);
      tiles += view.tiles.length;
      missing += painted.missing;
      frameBytes += painted.bytes;
    }
    const wallMs = now() - start;
    const stats = await painter.stats();
    return {
      setupMs: painter.setupMs,
      viewMs,
      wallMs,
      sumViewMs: viewMs.reduce((a, b) => a + b, 0),
      tiles,
      missing,
      frameBytes,
      waitedViews,
      greyTiles,
      ...(stats === undefined ? {} : { stats }),
    };
  } finally {
    await painter.close();
  }
}
