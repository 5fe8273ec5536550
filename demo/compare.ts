/**
 * Compare mode: the same tiles loaded cold twice, through a fresh FrameCache and the way most
 * viewers load tiles today (one WADO-RS request per frame, 16 in flight), with request counts,
 * time and bytes side by side. The two runs go one after the other so they do not compete.
 */
import { FrameCache } from '../src/index.js';
import type { FrameRef } from '../src/openseadragon-entry.js';

export interface RunResult {
  frames: number;
  /** Frames that came back. */
  loaded: number;
  requests: number;
  ms: number;
  bytes: number;
}

export interface CompareOptions {
  frames: FrameRef[];
  headers: (url: string) => Record<string, string>;
  /** Progress of the run going on. */
  onProgress: (run: 'cache' | 'per-tile', done: number, total: number) => void;
  onRunEnd: (run: 'cache' | 'per-tile', result: RunResult) => void;
}

/** What viewers send per tile: the frame as stored, no transcoding. */
const FRAME_ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=*';
const PER_TILE_IN_FLIGHT = 16;

export async function compareLoads({
  frames,
  headers,
  onProgress,
  onRunEnd,
}: CompareOptions): Promise<{ cache: RunResult; perTile: RunResult }> {
  const cache = await runThroughCache(frames, headers, (done) => onProgress('cache', done, frames.length));
  onRunEnd('cache', cache);
  const perTile = await runPerTile(frames, headers, (done) => onProgress('per-tile', done, frames.length));
  onRunEnd('per-tile', perTile);
  return { cache, perTile };
}

async function runThroughCache(
  frames: FrameRef[],
  headers: CompareOptions['headers'],
  onDone: (done: number) => void,
): Promise<RunResult> {
  // Its own engine (shared: false): the page's cache must not make this run warm. No spill.
  const cache = new FrameCache({ headers, spill: false, shared: false });
  try {
    await cache.stats(); // the worker is up before the clock starts
    let done = 0;
    const started = performance.now();
    // As OpenSeadragon does: ask for every tile at once and let the cache plan the requests.
    const results = await Promise.all(
      frames.map(async (ref) => {
        const bytes = await cache.getFrame(ref.instance, ref.frameNumber, { hint: 'minimize-requests' });
        onDone(++done);
        return bytes;
      }),
    );
    const ms = performance.now() - started;
    await cache.waitForLoads();
    const stats = await cache.stats();
    return {
      frames: frames.length,
      loaded: results.filter((bytes) => bytes !== undefined).length,
      requests: stats.requests,
      ms,
      bytes: stats.bytesReceived,
    };
  } finally {
    await cache.close();
  }
}

async function runPerTile(
  frames: FrameRef[],
  headers: CompareOptions['headers'],
  onDone: (done: number) => void,
): Promise<RunResult> {
  let next = 0;
  let done = 0;
  let loaded = 0;
  let bytes = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < frames.length) {
      const ref = frames[next++]!;
      const url = `${ref.instance.url}/frames/${ref.frameNumber}`;
      try {
        const response = await fetch(url, { headers: { ...headers(url), Accept: FRAME_ACCEPT } });
        const body = await response.arrayBuffer();
        bytes += body.byteLength;
        if (response.ok) loaded++;
      } catch {
        // counted as not loaded
      }
      onDone(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PER_TILE_IN_FLIGHT, frames.length) }, worker));
  return { frames: frames.length, loaded, requests: frames.length, ms: performance.now() - started, bytes };
}
