/**
 * Aligned background reads (docs/design.md, "Visible first, the rest behind"). The frames of an
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
/**
 * Frame lists stay under about 12 KB of URL (a frame number up to 6 digits and a comma each):
 * servers cap request lines (Orthanc's embedded web server at 16 KB).
 */
export const MAX_CHUNK_FRAMES = 2048;
/** An instance is read in about this many chunks, within the bounds above. */
const CHUNKS_PER_INSTANCE = 4;

/** The power of two nearest to value (value >= 1; halfway in log scale rounds up). */
function nearestPow2(value: number): number {
  return 2 ** Math.round(Math.log2(value));
}

/**
 * The chunk size for an instance of `frameCount` frames: a power of two, so the chunks of two
 * sizes nest, nearest to frameCount / 4 frames, clamped to [32, 2048] (768 frames: 3 chunks of
 * 256); `explicit` (the app's `framesPerRequest`) wins as given.
 */
export function chunkFramesFor(frameCount: number, explicit?: number): number {
  if (explicit !== undefined) return explicit;
  const ideal = Math.max(1, Math.ceil(frameCount / CHUNKS_PER_INSTANCE));
  return Math.min(MAX_CHUNK_FRAMES, Math.max(MIN_CHUNK_FRAMES, nearestPow2(ideal)));
}

/** The 0-based index of the chunk holding `frameNumber`. */
export function chunkIndexOf(frameNumber: number, chunkFrames: number): number {
  return Math.floor((frameNumber - 1) / chunkFrames);
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
