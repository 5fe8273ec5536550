/**
 * The benchmark page: built with Vite from bench/page (the module imported from src, its worker
 * emitted as its own file), served same-origin with the DICOMweb proxy by scripts/bench-server.mjs
 * and driven by scripts/bench.mjs through playwright-core.
 */
import { FrameCache } from '../../src/page/frame-cache.js';
import { measureHits } from './hits.js';
import { readIdbFloor } from './idb-floor.js';
import { readLevel } from './readers.js';
import { replayTrace } from './trace.js';

async function deleteDatabase(name: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.addEventListener('success', () => resolve());
    request.addEventListener('error', () => reject(request.error ?? new Error(`cannot delete IndexedDB ${name}`)));
    request.addEventListener('blocked', () => reject(new Error(`deleting IndexedDB ${name} is blocked`)));
  });
}

const bench = {
  FrameCache,
  readLevel,
  replayTrace,
  measureHits,
  deleteDatabase,
  readIdbFloor,
  isolated: () => globalThis.crossOriginIsolated === true,
};

declare global {
  var bench: typeof import('./main.js').benchApi;
}

export const benchApi = bench;
globalThis.bench = bench;
document.title = 'bench ready';
