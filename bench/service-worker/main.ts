// The bench page (scripts/bench-service-worker.mjs drives it): a plain per-tile client, one
// `GET …/frames/N` per tile with a multipart Accept, all tiles of a view requested at once, as
// dicom-microscopy-viewer and dicomweb-client viewers do; optionally behind serveFrames.
import { registerFrameServiceWorker, type FrameServiceWorker } from '../../src/page/service-worker-client.js';
import { parseMultipartRelated } from '../../src/transport/multipart.js';

const ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=*';
let sw: FrameServiceWorker | undefined;

async function tile(instanceUrl: string, frameNumber: number): Promise<number> {
  const response = await fetch(`${instanceUrl}/frames/${frameNumber}`, { headers: { Accept: ACCEPT } });
  const body = new Uint8Array(await response.arrayBuffer());
  if (response.status !== 200) throw new Error(`frame ${frameNumber}: HTTP ${response.status}`);
  const parts = parseMultipartRelated(response.headers.get('content-type') ?? '', body);
  if (parts.length !== 1 || parts[0]!.body.byteLength === 0)
    throw new Error(`frame ${frameNumber}: ${parts.length} parts`);
  return parts[0]!.body.byteLength;
}

const bench = {
  async register(): Promise<void> {
    sw = await registerFrameServiceWorker(new URL('./sw.js', location.href));
  },
  /** The instance's metadata, as a viewer reads it before its first tiles (the worker learns NumberOfFrames from it). */
  async metadata(instanceUrl: string): Promise<void> {
    const response = await fetch(`${instanceUrl}/metadata`, { headers: { Accept: 'application/dicom+json' } });
    if (!response.ok) throw new Error(`metadata: HTTP ${response.status}`);
    await response.json();
  },
  /** Milliseconds until every tile of the view arrived; bytes of the tiles. */
  async view(instanceUrl: string, frames: number[]): Promise<{ ms: number; bytes: number }> {
    const start = performance.now();
    const sizes = await Promise.all(frames.map((n) => tile(instanceUrl, n)));
    return { ms: performance.now() - start, bytes: sizes.reduce((a, b) => a + b, 0) };
  },
  stats: () => sw?.stats(),
  controlled: () => navigator.serviceWorker.controller !== null,
};

(window as unknown as { bench: typeof bench }).bench = bench;
document.title = 'bench ready';
