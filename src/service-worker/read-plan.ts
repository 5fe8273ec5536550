/**
 * How the Service Worker reads the frames a tile request misses (docs/service-worker.md,
 * "Requests to the archive"). A per-tile viewer behind it pays nothing per request (the worker
 * answers each tile from memory), but the archive does: every frames request costs Orthanc a
 * parse of the whole file. So the worker reads in long aligned chunks and skips the engine's
 * separate visible request wherever the chunk would arrive about as fast:
 *
 * - `'chunk'`: the aligned chunk holding the frames is the request the tile waits for; the
 *   other tiles of the view, in the same chunk, wait for it too. One request per chunk.
 * - `'visible'`: the engine's visible-first read: the misses arriving together go out as one
 *   request of exactly those frames, the chunk follows in the background. Two requests, for a
 *   chunk whose extra bytes would hold the tile up longer than CHUNK_FIRST_BUDGET_MS.
 */
import { chunkIndexOf } from '../core/aligned-chunks.js';
import type { LinkEstimate } from '../core/link-learner.js';

/**
 * The Service Worker's aligned chunk, unless the app sets framesPerRequest: a power of two, so
 * its chunks nest with the engine's own, and the same for every user of a server (a shared HTTP
 * cache in front of the archive sees the same URLs). 1024 frame numbers of up to 6 digits keep
 * the URL within the transport's 8000 characters (Orthanc's embedded server refuses ~16 KB of
 * headers; a longer list is cut in two).
 */
export const SERVICE_WORKER_CHUNK_FRAMES = 1024;

/** Before the worker has measured the link: chunks up to this many frames are read first. */
export const UNMEASURED_CHUNK_FIRST_FRAMES = 64;

/**
 * A chunk read first may hold a tile up by this long, at least, beyond the requested frames
 * alone: about one view of a per-tile viewer (dicom-microscopy-viewer takes 1-1.5 s per view
 * with every tile in the worker's memory, its animation and decoding included), while the
 * view's tiles beyond its first batch wait for the chunk in either plan.
 */
export const CHUNK_FIRST_BUDGET_MS = 1000;

export type ReadPlan = 'chunk' | 'visible';

/** Frames in the aligned chunk holding `frameNumber` (the last chunk of an instance is shorter). */
export function chunkLengthOf(frameNumber: number, frameCount: number, chunkFrames: number): number {
  const first = chunkIndexOf(frameNumber, chunkFrames) * chunkFrames + 1;
  return Math.min(frameCount, first + chunkFrames - 1) - first + 1;
}

/**
 * `'chunk'` when reading the whole chunk instead of the `requestFrames` frames asked for would
 * hold the tile up by at most CHUNK_FIRST_BUDGET_MS or one first-frame time of the link (its
 * round trip plus the server's time to a first byte: what a second request costs anyway),
 * whichever is longer; else `'visible'`.
 *
 * @param chunkLength frames of the chunk holding the request's frames
 * @param requestFrames frames of the tile request (1 for a per-tile viewer)
 * @param link what the engine measured of the server's link, undefined before its first request
 */
export function choosePlan(chunkLength: number, requestFrames: number, link: LinkEstimate | undefined): ReadPlan {
  if (chunkLength <= requestFrames) return 'chunk';
  if (link === undefined || link.bytesPerMs <= 0 || link.meanFrameBytes <= 0)
    return chunkLength <= UNMEASURED_CHUNK_FIRST_FRAMES ? 'chunk' : 'visible';
  const extraMs = ((chunkLength - requestFrames) * link.meanFrameBytes) / link.bytesPerMs;
  return extraMs <= Math.max(CHUNK_FIRST_BUDGET_MS, link.firstFrameMs) ? 'chunk' : 'visible';
}
