/**
 * `dicomweb-frame-cache/openseadragon`: an opened slide and a FrameCache as an OpenSeadragon
 * tile source (OpenSeadragon is a peer dependency: the app's own copy is used).
 *
 * @example
 * import OpenSeadragon from 'openseadragon';
 * import { FrameCache, openSlide } from 'dicomweb-frame-cache';
 * import { createTileSource } from 'dicomweb-frame-cache/openseadragon';
 * const slide = await openSlide(seriesUrl);
 * OpenSeadragon({ id: 'viewer', tileSources: createTileSource(slide, new FrameCache()) });
 */
import type { FrameCache } from './page/frame-cache.js';
import type { Slide } from './slide/slide.js';
import { DicomTileSource, type TileSourceOptions } from './openseadragon/dicom-tile-source.js';

export { DicomTileSource } from './openseadragon/dicom-tile-source.js';
export type { FrameRef, TileJobCounts, TileSourceOptions } from './openseadragon/dicom-tile-source.js';

/**
 * Levels (smallest first, as OSD counts them), frame mapping, aborts of tiles that leave the
 * view, and tiles decoded in the cache's worker whatever their transfer syntax. `cache` may be a
 * function, read for every tile, when the app replaces its cache.
 */
export function createTileSource(
  slide: Slide,
  cache: FrameCache | (() => FrameCache),
  options?: TileSourceOptions,
): DicomTileSource {
  return new DicomTileSource(slide, cache, options);
}
