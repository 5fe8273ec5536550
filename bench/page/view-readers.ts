/**
 * How each peer of the viewer trace paints a view (issue 11): given the tiles of a view the
 * viewer does not hold, fetch them all and resolve when every one is there.
 *  - 'dwc-tile':  dicomweb-client, one GET per tile, `tileConcurrency` in flight (Slim / DMV);
 *  - 'view-raw':  one request per view (and level) for exactly its missing tiles, raw fetch,
 *                 body read to the end, no parsing (the floor a viewer could reach);
 *  - 'dwc-view':  dicomweb-client batched: the same one request per view, multipart parsed;
 *  - 'view-shared-worker': the same requests as 'view-raw', sent from a SharedWorker that
 *                 transfers the bodies back (fetch.shared-worker.ts): the module's hops in shared
 *                 mode (page -> worker process -> network -> worker -> page) without the module;
 *  - 'view-shared-worker-frames': the same hops with the work the module cannot skip on them:
 *                 bodies streamed and parsed, each frame copied into the worker's own store and,
 *                 per read, packed into one posted buffer; the page copies each frame out;
 *  - 'module':    this module's FrameCache: every tile's getFrame at once (public API only);
 *                 with `perView`, one getFrames call per instance of the view instead.
 */
import { api } from 'dicomweb-client';
import {
  type InstanceTarget,
  type SeriesTarget,
  type TileGetter,
  type TileReaderSpec,
  instanceUrl,
  openTileGetter,
} from './readers.js';
import { FRAMES_ACCEPT, openFramesWorker } from './shared-worker-jobs.js';
import { pool } from './timing.js';

const DWC_MEDIA_TYPES = [{ mediaType: 'image/jpeg', transferSyntaxUID: '1.2.840.10008.1.2.4.50' }];

export type ViewReaderSpec =
  | TileReaderSpec
  | { kind: 'view-raw' }
  | { kind: 'dwc-view' }
  | { kind: 'view-shared-worker' }
  | { kind: 'view-shared-worker-frames' };
export type ViewTile = { instance: InstanceTarget; frameNumber: number };

export interface ViewPainter {
  setupMs: number;
  /** Fetches every tile; bytes = tile bytes (view-raw: body bytes, multipart framing included). */
  paint(tiles: ViewTile[]): Promise<{ bytes: number; missing: number }>;
  /** How many of the tiles need the network now (module: not in memory; others: all). */
  notHeld(tiles: ViewTile[]): Promise<number>;
  /** The module's whole stats() (what it learned of the link too); undefined for other peers. */
  stats(): Promise<Record<string, unknown> | undefined>;
  close(): Promise<void>;
}

/** One request for `frames` of an instance, as one request per view sends it. */
function framesUrl(series: SeriesTarget, instance: InstanceTarget, frames: number[]): string {
  return `${instanceUrl(series, instance.sopInstanceUid)}/frames/${frames.join(',')}`;
}

/** The view's tiles grouped by instance, in the view's order. */
function byInstance(tiles: ViewTile[]): { instance: InstanceTarget; frames: number[] }[] {
  const groups = new Map<string, { instance: InstanceTarget; frames: number[] }>();
  for (const { instance, frameNumber } of tiles) {
    let group = groups.get(instance.sopInstanceUid);
    if (group === undefined) groups.set(instance.sopInstanceUid, (group = { instance, frames: [] }));
    group.frames.push(frameNumber);
  }
  return [...groups.values()];
}

export async function openViewPainter(
  spec: ViewReaderSpec,
  series: SeriesTarget,
  tileConcurrency: number,
): Promise<ViewPainter> {
  const all = async (tiles: ViewTile[]) => tiles.length;
  const none = async () => undefined;
  if (spec.kind === 'view-raw') {
    return {
      setupMs: 0,
      paint: async (tiles) => {
        let bytes = 0;
        let missing = 0;
        await Promise.all(
          byInstance(tiles).map(async ({ instance, frames }) => {
            const response = await fetch(framesUrl(series, instance, frames), {
              headers: { Accept: FRAMES_ACCEPT },
            });
            const body = await response.arrayBuffer();
            if (!response.ok) missing += frames.length;
            bytes += body.byteLength;
          }),
        );
        return { bytes, missing };
      },
      notHeld: all,
      stats: none,
      close: async () => undefined,
    };
  }
  if (spec.kind === 'view-shared-worker') return openSharedWorkerPainter(series, false);
  if (spec.kind === 'view-shared-worker-frames') return openSharedWorkerPainter(series, true);
  if (spec.kind === 'dwc-view') {
    const client = new api.DICOMwebClient({ url: series.dicomWebUrl, singlepart: false });
    return {
      setupMs: 0,
      paint: async (tiles) => {
        let bytes = 0;
        let missing = 0;
        await Promise.all(
          byInstance(tiles).map(async ({ instance, frames }) => {
            const parts = (await client.retrieveInstanceFrames({
              studyInstanceUID: series.studyInstanceUid,
              seriesInstanceUID: series.seriesInstanceUid,
              sopInstanceUID: instance.sopInstanceUid,
              frameNumbers: frames.join(','),
              mediaTypes: DWC_MEDIA_TYPES,
            } as never)) as unknown as ArrayBuffer[];
            missing += frames.length - parts.length;
            for (const part of parts) bytes += part.byteLength;
          }),
        );
        return { bytes, missing };
      },
      notHeld: all,
      stats: none,
      close: async () => undefined,
    };
  }
  const getter: TileGetter = await openTileGetter(spec, series);
  const module = spec.kind === 'module';
  // Before its first paint a module's cache is new: a fresh browser context per run, so a new
  // worker, and no IndexedDB tier unless the peer sets one. It holds nothing, and asking it tile
  // by tile would be a round trip to its worker per tile just before the first view's clock, a
  // warm-up of its channel that no viewer makes and no other peer gets (bench/method.md).
  let holdsNothing = module && (spec.options.spill === undefined || spec.options.spill === false);
  return {
    setupMs: getter.setupMs,
    paint: async (tiles) => {
      holdsNothing = false;
      let bytes = 0;
      let missing = 0;
      const one = async ({ instance, frameNumber }: ViewTile) => {
        const length = await getter.get(instance, frameNumber);
        if (length === 0) missing++;
        bytes += length;
      };
      const getMany = getter.getMany;
      if (module && spec.perView === true && getMany !== undefined) {
        // A viewer that asks a view's tiles of one level in one call.
        for (const painted of await Promise.all(
          byInstance(tiles).map(({ instance, frames }) => getMany(instance, frames)),
        )) {
          bytes += painted.bytes;
          missing += painted.missing;
        }
        return { bytes, missing };
      }
      // A viewer asks the module for every visible tile at once (no HTTP request per tile);
      // per-tile HTTP peers go through the viewer's image loader limit.
      await pool(tiles, module ? tiles.length : tileConcurrency, one);
      return { bytes, missing };
    },
    notHeld: async (tiles) => {
      const cached = getter.cached;
      if (cached === undefined || holdsNothing) return tiles.length;
      const held = await Promise.all(tiles.map(({ instance, frameNumber }) => cached(instance, frameNumber)));
      return held.filter((h) => !h).length;
    },
    stats: async () => (await getter.allStats?.()) ?? undefined,
    close: () => getter.close(false),
  };
}

/**
 * 'view-shared-worker' / 'view-shared-worker-frames': the view's requests from a SharedWorker
 * (shared-worker-jobs.ts), started (and answering) before the clock.
 */
async function openSharedWorkerPainter(series: SeriesTarget, withFrames: boolean): Promise<ViewPainter> {
  const worker = await openFramesWorker();
  return {
    setupMs: worker.setupMs,
    paint: async (tiles) => {
      const groups = byInstance(tiles);
      return worker.run(
        groups.map(({ instance, frames }) => framesUrl(series, instance, frames)),
        groups.map(({ frames }) => frames.length),
        withFrames,
      );
    },
    notHeld: async (tiles) => tiles.length,
    stats: async () => undefined,
    close: async () => worker.close(),
  };
}
