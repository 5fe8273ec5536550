/**
 * Runs the frame path once, on made-up frames, when a worker starts (docs/worker-cost.md, "A cold
 * worker"). A fresh worker runs every function of the engine, the transport and the multipart
 * parser for the first time on the user's first view: measured on loopback, the first getFrame
 * of a view took 7-8 ms in the worker and each further request of that view 1.5-5 ms to leave,
 * where the same path warm takes well under 0.1 ms. Doing it here moves that cost to worker
 * start-up, which the page pays while it builds its viewer.
 *
 * Nothing leaves the worker: the source answers from memory (a `fetch` that never touches the
 * network), the engine has learners of its own (the worker's learners, which `stats().links`
 * shows, see nothing), and it is closed at the end. A failure is swallowed: it costs only speed.
 */
import { LinkLearner } from '../core/link-learner.js';
import { ModeLearner } from '../core/mode-learner.js';
import type { FetchLike } from '../core/ports.js';
import { FrameCacheEngine } from '../platform/frame-cache-engine.js';
import { concatBytes } from '../shared/bytes.js';
import { WORKER_PLATFORM } from './engine-registry.js';

const BOUNDARY = 'warm-up';
const FRAME_COUNT = 64;
const INSTANCE_URL = 'https://warm-up.invalid/dicom-web/studies/1/series/2/instances/3';
const FRAME_BYTES = 512;

/** An answer as a DICOMweb server gives it: one part per frame of the URL's list, in order. */
function multipartAnswer(frames: number[]): Uint8Array<ArrayBuffer> {
  const encoder = new TextEncoder();
  const pieces: Uint8Array[] = [];
  for (const n of frames) {
    pieces.push(
      encoder.encode(
        `--${BOUNDARY}\r\nContent-Type: application/octet-stream; transfer-syntax=1.2.840.10008.1.2.4.50\r\n` +
          `Content-Location: ${INSTANCE_URL}/frames/${n}\r\n\r\n`,
      ),
      new Uint8Array(FRAME_BYTES).fill(n & 0xff),
      encoder.encode('\r\n'),
    );
  }
  pieces.push(encoder.encode(`--${BOUNDARY}--\r\n`));
  // Several pieces: a new buffer of its own (concatBytes returns the piece itself only for one).
  return concatBytes(pieces) as Uint8Array<ArrayBuffer>;
}

const fetchFromMemory: FetchLike = async (url) => {
  const list = String(url).split('/frames/')[1] ?? '';
  const frames = list.split(',').map(Number);
  return new Response(multipartAnswer(frames), {
    status: 200,
    headers: { 'Content-Type': `multipart/related; type="application/octet-stream"; boundary=${BOUNDARY}` },
  }) as unknown as Awaited<ReturnType<FetchLike>>;
};

/** Resolves when done; never rejects. Resolves to the frames read (0 when something failed). */
export async function warmUp(): Promise<number> {
  const engine = new FrameCacheEngine(
    { fetch: fetchFromMemory, maxBytes: 4 * FRAME_COUNT * FRAME_BYTES },
    {
      ...WORKER_PLATFORM,
      modeLearner: () => new ModeLearner(),
      linkLearner: () => new LinkLearner(),
    },
  );
  try {
    const instance = { url: INSTANCE_URL, frameCount: FRAME_COUNT };
    // A view's visible misses (one visible request, then the aligned chunk behind), hits, and
    // a batch call, as a viewer's first screens make them.
    const visible = await Promise.all([1, 2, 3, 4].map((n) => engine.getFrame(instance, n)));
    await engine.waitForLoads(INSTANCE_URL, { timeoutMs: 5000 });
    const batch = await engine.getFrames(instance, [5, 6, 7, 8]);
    return [...visible, ...batch].filter((bytes) => bytes?.byteLength === FRAME_BYTES).length;
  } catch {
    return 0;
  } finally {
    await engine.close().catch(() => undefined);
  }
}
