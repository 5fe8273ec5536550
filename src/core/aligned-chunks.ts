/**
 * Aligned background reads (docs/scheduler.md, "Aligned chunks"). The frames of an
 * instance are cut into fixed chunks: chunk k of size C holds frames k*C+1 .. min((k+1)*C, N).
 * A chunk always goes out whole, as the same sorted frame list, whatever was asked first and
 * whatever is cached, so two viewers of one slide send the same URLs and an HTTP cache in front
 * of the archive (nginx `proxy_cache`, a CDN) can answer the second one.
 *
 * C depends on nothing but the instance's frame count (or an explicit `framesPerRequest`): it
 * must be the same for every user of a server, so it cannot follow one user's link. An instance
 * is cut into about four chunks because servers such as Orthanc parse the whole file for every
 * frames request (docs/server-and-browser-facts.md: ~4 ms at 2 MB, ~440 ms at 105 MB; the
 * 768-frame, 6 MB level read in chunks of 64 took 180-300 ms, of 256 36-106 ms, whole 35-68 ms
 * from Node on loopback): every chunk costs one such parse. The link decides how many chunks
 * run at once instead, and the visible tiles never wait for a chunk (they go first, alone).
 */

/** The smallest and largest chunk, in frames. */
export const MIN_CHUNK_FRAMES = 32;
/** The largest chunk, whatever the frame count (a chunk's list must also fit FRAME_LIST_CHARS). */
export const MAX_CHUNK_FRAMES = 2048;
/**
 * Characters a chunk's frame list may take in its URL: the transport splits any longer list into
 * consecutive requests (MAX_URL_LENGTH, 8000 in src/transport/dicomweb-source.ts: nginx's
 * default request-line buffer is 8 KB), and 1000 are left for the instance's URL. A chunk cut
 * that way would cost the archive two file parses, one after the other (the 51,200-frame level:
 * 51 requests for 25 chunks of 2048, measured in the full bench of 2026-12-04 20:00).
 */
export const FRAME_LIST_CHARS = 7000;
/** An instance is read in about this many chunks, within the bounds above. */
const CHUNKS_PER_INSTANCE = 4;

/** The power of two nearest to value (value >= 1; halfway in log scale rounds up). */
function nearestPow2(value: number): number {
  return 2 ** Math.round(Math.log2(value));
}

/**
 * The largest power of two of frames whose list fits FRAME_LIST_CHARS when every frame number
 * has as many digits as `frameCount` (plus a comma): 1024 from 100 up to 99,999 frames, 512 from
 * 100,000 up to 999,999.
 */
export function maxListFrames(frameCount: number): number {
  const perFrame = String(Math.max(1, Math.floor(frameCount))).length + 1;
  return 2 ** Math.floor(Math.log2(FRAME_LIST_CHARS / perFrame));
}

/**
 * The chunk size for an instance of `frameCount` frames: a power of two, so the chunks of two
 * sizes nest, nearest to frameCount / 4 frames, clamped to [32, 2048] and to what one URL
 * carries (maxListFrames: 1024 for 3- to 5-digit frame numbers, 512 for 6-digit ones), so a chunk is one request
 * (768 frames: 3 chunks of 256; 51,200: 50 of 1024); `explicit` (the app's
 * `framesPerRequest`) wins as given.
 */
export function chunkFramesFor(frameCount: number, explicit?: number): number {
  if (explicit !== undefined) return explicit;
  const ideal = Math.max(1, Math.ceil(frameCount / CHUNKS_PER_INSTANCE));
  const largest = Math.min(MAX_CHUNK_FRAMES, maxListFrames(frameCount));
  return Math.min(largest, Math.max(MIN_CHUNK_FRAMES, nearestPow2(ideal)));
}

/** The 0-based index of the chunk holding `frameNumber`. */
export function chunkIndexOf(frameNumber: number, chunkSize: number): number {
  return Math.floor((frameNumber - 1) / chunkSize);
}

/** The sorted frame numbers of chunk `index`. */
export function chunkFrames(index: number, chunkSize: number, frameCount: number): number[] {
  const first = index * chunkSize + 1;
  const last = Math.min(frameCount, first + chunkSize - 1);
  const out: number[] = [];
  for (let n = first; n <= last; n++) out.push(n);
  return out;
}

/**
 * The chunks to read behind the visible frames of one instance: every chunk of the aligned
 * block (`blockFrames` rounded up to whole chunks) holding a visible frame, nearest to a visible
 * frame first (the chunks of the visible frames themselves come first).
 */
export function backgroundChunks(
  visible: readonly number[],
  frameCount: number,
  chunkSize: number,
  blockFrames: number,
): number[] {
  const chunksPerBlock = Math.max(1, Math.ceil(blockFrames / chunkSize));
  const lastChunk = chunkIndexOf(frameCount, chunkSize);
  const visibleChunks = new Set(visible.map((n) => chunkIndexOf(n, chunkSize)));
  const chosen = new Set<number>();
  for (const index of visibleChunks) {
    const blockStart = Math.floor(index / chunksPerBlock) * chunksPerBlock;
    const blockEnd = Math.min(lastChunk, blockStart + chunksPerBlock - 1);
    for (let k = blockStart; k <= blockEnd; k++) chosen.add(k);
  }
  const distance = (k: number): number => {
    let best = Infinity;
    for (const v of visibleChunks) best = Math.min(best, Math.abs(k - v));
    return best;
  };
  return [...chosen].sort((a, b) => distance(a) - distance(b) || a - b);
}
