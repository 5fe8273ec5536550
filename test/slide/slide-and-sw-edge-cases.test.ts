/**
 * Slide metadata and Service Worker edge cases found by a review (2026-12-06); each test failed
 * before its fix (docs/reliability.md, "Found by an adversarial review").
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pixelFormat } from '../helpers/pixel-format.js';
import type { FetchLike, Logger, ResponseLike } from '../../src/core/ports.js';
import { FrameServer } from '../../src/service-worker/frame-server.js';
import { FrameCacheError } from '../../src/shared/errors.js';
import { openSlide, type Level } from '../../src/slide/slide.js';
import type { DicomJsonDataset } from '../../src/slide/dicom-json.js';
import { buildLevels } from '../../src/slide/slide-levels.js';
import type { WsiInstanceInfo } from '../../src/slide/wsi-instance.js';
import { buildWsiMetadata, seriesUrlOf, type SyntheticSlide } from '../helpers/wsi-metadata.js';
import { noiseBytes, orthancFramesResponse } from '../helpers/multipart-builder.js';

const silent: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

function serve(body: unknown): FetchLike {
  return async () =>
    new Response(JSON.stringify(body), {
      status: 200,
      headers: { 'content-type': 'application/dicom+json' },
    }) as unknown as ResponseLike;
}

async function open(slide: SyntheticSlide) {
  return openSlide(seriesUrlOf(slide), { fetch: serve(slide.datasets), logger: silent });
}

describe('openSlide: metadata edge cases', () => {
  it('a concatenation member without ConcatenationFrameOffsetNumber does not take another member’s frames', async () => {
    // 3 x 10 frames of one TILED_FULL plane (6 x 5 tiles), a concatenation; the third member lost its offset.
    const slide = buildWsiMetadata({ levels: [{ width: 6 * 64, height: 5 * 64, tileWidth: 64, instances: 3 }] });
    delete slide.datasets[2]!['00209228'];
    const level = (await open(slide)).levels[0] as Level;
    // Tile index 15 (column 3, row 2) is frame 6 of the second member (InConcatenationNumber 2).
    const hit = level.frameAt(3 * 64 + 1, 2 * 64 + 1);
    const second = slide.levelUids[0]![1]!;
    // Refusing (undefined) would do; the third member's frame 6 (tile 25) is a wrong frame.
    const got = hit === undefined ? undefined : `${hit.instance.sopInstanceUid}#${hit.frameNumber}`;
    expect([undefined, `${second}#6`]).toContain(got);
  });

  it('an absurd NumberOfFrames with per-frame groups is skipped or a FrameCacheError, not a RangeError', async () => {
    const slide = buildWsiMetadata({
      levels: [
        { width: 1024, height: 1024, tileWidth: 256, organization: 'positions' },
        { width: 512, height: 512, tileWidth: 256, organization: 'positions' },
      ],
    });
    slide.datasets[0]!['00280008'] = { vr: 'IS', Value: [2 ** 40] };
    let error: unknown;
    const result = await open(slide).catch((e: unknown) => {
      error = e;
      return undefined;
    });
    if (error !== undefined) expect(error).toBeInstanceOf(FrameCacheError);
    else expect(result?.levels.map((l) => l.width)).toEqual([512]);
  });

  it('a single-plane sparse level whose tiles carry per-tile Z offsets (focus map) keeps every tile', async () => {
    const slide = buildWsiMetadata({
      levels: [{ width: 4 * 256, height: 3 * 256, tileWidth: 256, organization: 'positions' }],
    });
    const ds = slide.datasets[0]!;
    ds['00209311'] = { vr: 'CS', Value: ['TILED_SPARSE'] };
    // TotalPixelMatrixFocalPlanes is 1; the scanner's focus map gives each tile its own Z.
    (ds['52009230']!.Value as DicomJsonDataset[]).forEach((item, i) => {
      const plane = (item['0048021A']!.Value as DicomJsonDataset[])[0]!;
      plane['0040074A'] = { vr: 'DS', Value: [0.001 + i * 0.00001] };
    });
    const level = (await open(slide)).levels[0] as Level;
    const missing: string[] = [];
    for (let row = 0; row < 3; row++)
      for (let column = 0; column < 4; column++)
        if (level.frameAt(column * 256 + 5, row * 256 + 5) === undefined) missing.push(`${column},${row}`);
    expect(missing).toEqual([]);
  });

  it('many distinct Z offsets in a positioned level do not overflow the stack', () => {
    const frames = 200_000;
    const across = 500;
    const positions = {
      columns: Float64Array.from({ length: frames }, (_, i) => (i % across) * 16 + 1),
      rows: Float64Array.from({ length: frames }, (_, i) => Math.floor(i / across) * 16 + 1),
      z: Float64Array.from({ length: frames }, (_, i) => i * 1e-6),
      opticalPaths: Array.from({ length: frames }, (): string | undefined => undefined),
    };
    const info: WsiInstanceInfo = {
      sopInstanceUid: '1.2.3',
      flavor: 'VOLUME',
      totalColumns: across * 16,
      totalRows: (frames / across) * 16,
      columns: 16,
      rows: 16,
      numberOfFrames: frames,
      instanceNumber: 1,
      concatenationUid: undefined,
      inConcatenationNumber: undefined,
      frameOffset: 0,
      tiledFull: false,
      tiledSparse: false,
      transferSyntaxUid: '',
      pixelSpacingMm: undefined,
      focalPlanes: 1,
      opticalPathIds: [],
      sharedOpticalPath: undefined,
      positions,
      pixelFormat: pixelFormat({ transferSyntaxUid: '', rows: 16, columns: 16 }),
    };
    expect(() => buildLevels([info], 'https://pacs.example/dicom-web/studies/1/series/2', silent)).not.toThrow();
  });

  it('TILED_SPARSE without per-frame positions never maps a pixel to another tile’s frame', async () => {
    // Sparse: tile (1,0) is not encoded, so frame 2 is tile (2,0). The per-frame groups did not come.
    const slide = buildWsiMetadata({
      levels: [{ width: 4 * 256, height: 2 * 256, tileWidth: 256, organization: 'positions', missing: [[1, 0]] }],
    });
    const ds = slide.datasets[0]!;
    ds['00209311'] = { vr: 'CS', Value: ['TILED_SPARSE'] };
    delete ds['52009230'];
    const levels = (await open(slide)).levels;
    const hit = levels[0]?.frameAt(256 + 5, 5); // tile (1,0): not in the image
    expect(hit).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------
// Service Worker

const ROOT = 'https://pacs.example/dicom-web';
const INSTANCE = `${ROOT}/studies/1.2/series/1.3/instances/1.4`;
const ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=*';
const frame = (n: number) => noiseBytes(50 + n, n);

const framesAnswer = (instance: string, numbers: number[]): Response => orthancFramesResponse(instance, numbers, frame);

const get = (url: string, headers: Record<string, string> = { accept: ACCEPT }) => new Request(url, { headers });

describe('Service Worker: its own metadata read', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers a frame request whose instance metadata read never answers (no hang)', async () => {
    vi.useFakeTimers();
    let metadataAsked!: () => void;
    const asked = new Promise<void>((resolve) => (metadataAsked = resolve));
    const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = input instanceof Request ? input : new Request(String(input), init);
      if (request.url.endsWith('/metadata')) {
        metadataAsked();
        return new Promise<Response>(() => {}); // the archive never answers this one
      }
      const match = /\/frames\/([\d,]+)$/.exec(request.url);
      return framesAnswer(INSTANCE, match![1]!.split(',').map(Number));
    }) as typeof fetch;
    const server = new FrameServer({
      roots: [ROOT],
      cacheOptions: { maxRetries: 0, requestTimeoutMs: 1000 },
      fetch: fetchFn,
    });
    let settled = false;
    const answer = server.handle(get(`${INSTANCE}/frames/1`), 'c', () => undefined)!;
    void answer.then(
      () => (settled = true),
      () => (settled = true),
    );
    await asked;
    await vi.advanceTimersByTimeAsync(10 * 60_000); // ten minutes, 600 x requestTimeoutMs
    expect(settled).toBe(true);
  });
});

describe('Service Worker: paths and stats', () => {
  /** An archive with one 20-frame instance whose paths are case-sensitive (as URL paths are). */
  function archive() {
    const seen: string[] = [];
    const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = input instanceof Request ? input : new Request(String(input), init);
      seen.push(request.url);
      if (request.url === `${INSTANCE}/metadata`) return Response.json([{ '00280008': { vr: 'IS', Value: [20] } }]);
      const match = /^(.*)\/frames\/([\d,]+)$/.exec(request.url);
      if (match === null || match[1] !== INSTANCE) return new Response('not found', { status: 404 });
      return framesAnswer(INSTANCE, match[2]!.split(',').map(Number));
    }) as typeof fetch;
    return { seen, fetchFn };
  }

  it('leaves a frames URL in another letter case to the network (another path: the server’s 404)', async () => {
    const { fetchFn } = archive();
    const server = new FrameServer({ roots: [ROOT], cacheOptions: { maxRetries: 0 }, fetch: fetchFn });
    const url = `${ROOT}/STUDIES/1.2/SERIES/1.3/INSTANCES/1.4/FRAMES/1`;
    const answer = server.handle(get(url), 'c', () => undefined);
    const status = answer === undefined ? (await fetchFn(get(url))).status : (await answer).status;
    expect(status).toBe(404);
  });

  it('resetStats() zeroes metadataReads like the other counters', async () => {
    const { fetchFn } = archive();
    const server = new FrameServer({ roots: [ROOT], cacheOptions: { maxRetries: 0 }, fetch: fetchFn });
    expect((await server.handle(get(`${INSTANCE}/frames/1`), 'c', () => undefined)!).status).toBe(200);
    expect((await server.stats()).metadataReads).toBe(1);
    await server.resetStats();
    const stats = await server.stats();
    expect([stats.frameRequests, stats.served, stats.metadataReads]).toEqual([0, 0, 0]);
  });
});

describe('Service Worker: stats over scopes with the IndexedDB tier', () => {
  it('cache.spillStoredBytes is not counted once per scope (it is the whole database’s gauge)', async () => {
    const { IDBFactory } = await import('fake-indexeddb');
    const { ScopeEngines } = await import('../../src/service-worker/scope-engines.js');
    const { sumCacheStats } = await import('../../src/service-worker/sw-stats.js');
    const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = input instanceof Request ? input : new Request(String(input), init);
      const match = /\/frames\/([\d,]+)$/.exec(request.url)!;
      return framesAnswer(INSTANCE, match[1]!.split(',').map(Number));
    }) as typeof fetch;
    const engines = new ScopeEngines({ maxRetries: 0, spill: { namespace: 'n', dbName: 'review-spill' } }, fetchFn);
    const saved = (globalThis as { indexedDB?: unknown }).indexedDB;
    (globalThis as { indexedDB?: unknown }).indexedDB = new IDBFactory();
    try {
      for (const auth of ['a', 'b', 'c']) {
        const scope = engines.get(`:${auth}`, ACCEPT, { authorization: auth });
        const frames = await scope.engine.getFrames({ url: INSTANCE, frameCount: 20 }, [1]);
        expect(frames[0]).toBeDefined();
        await scope.engine.waitForLoads(); // and the queued IndexedDB writes
      }
      const summed = sumCacheStats(await engines.stats());
      // The database holds each scope's 20-frame chunk once: 3 x (51 + ... + 70) bytes.
      let chunkBytes = 0;
      for (let n = 1; n <= 20; n++) chunkBytes += frame(n).byteLength;
      expect(summed.spillStoredBytes).toBe(3 * chunkBytes);
    } finally {
      (globalThis as { indexedDB?: unknown }).indexedDB = saved;
    }
  });
});
