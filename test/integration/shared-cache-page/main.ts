// The page of shared-cache.test.ts, served by nginx on the same origin as the DICOMweb root it
// caches: one FrameCache (the public API, the worker the package ships) per page, read one view
// at a time so the test can attribute each request that reached the archive to its view.
import { FrameCache, type FrameCacheOptions } from '../../../src/index.js';

export interface PageView {
  /** Path of the instance on this origin: /dicom-web/studies/…/instances/… */
  path: string;
  frameCount: number;
  frameNumbers: number[];
}

export interface ViewResult {
  /** SHA-256 (hex) of each frame, in the order asked; '' for a frame that did not arrive. */
  digests: string[];
  ms: number;
}

let cache: FrameCache | undefined;

async function digest(bytes: Uint8Array | undefined): Promise<string> {
  if (bytes === undefined) return '';
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes.slice()));
  return Array.from(hash, (b) => b.toString(16).padStart(2, '0')).join('');
}

const api = {
  open(options: FrameCacheOptions = {}): void {
    cache = new FrameCache(options);
  },
  /** Reads a view's tiles the way a viewer paints a screen (all at once), then lets the background loads land. */
  async readView(view: PageView): Promise<ViewResult> {
    if (cache === undefined) throw new Error('open() first');
    const started = performance.now();
    const frames = await cache.getFrames(
      { url: new URL(view.path, location.href).href, frameCount: view.frameCount },
      view.frameNumbers,
    );
    const ms = performance.now() - started;
    await cache.waitForLoads();
    return { digests: await Promise.all(frames.map(digest)), ms };
  },
  async fetchOnce(
    path: string,
    accept: string,
  ): Promise<{ status: number; cacheStatus: string | null; digest: string }> {
    const response = await fetch(path, { headers: { Accept: accept } });
    return {
      status: response.status,
      cacheStatus: response.headers.get('x-cache-status'),
      digest: await digest(new Uint8Array(await response.arrayBuffer())),
    };
  },
  async close(): Promise<void> {
    await cache?.close();
    cache = undefined;
  },
};

declare global {
  interface Window {
    sharedCacheTest: typeof api;
  }
}
window.sharedCacheTest = api;
