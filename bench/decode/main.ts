// The decode bench page (`npm run bench:decode`, scripts/bench-decode.mjs drives it):
// - throughput: tiles per second per syntax, decoded on the main thread and in a worker by the
//   same code (decode-one.ts), and end to end through FrameCache.getTile (frames already cached);
// - pan: an OpenSeadragon pan over the jpeg2000 sample with long tasks (> 50 ms) observed on the
//   main thread, tiles decoded in the cache's worker (getTile) and, for contrast, on the main thread.
import OpenSeadragon from 'openseadragon';
import { FrameCache } from '../../src/page/frame-cache.js';
import { createTileSource } from '../../src/openseadragon-entry.js';
import type { PixelFormat } from '../../src/decode/pixel-format.js';
import { openSlide, type Instance } from '../../src/slide/slide.js';
import { decodeToBitmap, timeDecodes, type DecodeTiming } from './decode-one.js';
import { encodeFrames } from './encode.js';

type Series = Record<'jpeg' | 'jpeg2000' | 'none', string>;

interface ThroughputRow {
  syntax: string;
  tiles: number;
  main: DecodeTiming;
  worker: DecodeTiming;
  /** FrameCache.getTile, frames cached, decoded tier off: one at a time, and 8 in flight. */
  getTileSerialMs?: number;
  getTileParallelMs?: number;
}

function inWorker(frames: Uint8Array[], format: PixelFormat): Promise<DecodeTiming> {
  const worker = new Worker(new URL('./decode.worker.ts', import.meta.url), { type: 'module' });
  return new Promise<DecodeTiming>((resolve, reject) => {
    worker.addEventListener(
      'message',
      (event: MessageEvent<{ ok: boolean; timing?: DecodeTiming; error?: string }>) => {
        worker.terminate();
        if (event.data.ok) resolve(event.data.timing!);
        else reject(new Error(event.data.error));
      },
    );
    worker.addEventListener('error', (event) => {
      worker.terminate();
      reject(new Error(event.message));
    });
    // oxlint-disable-next-line unicorn/require-post-message-target-origin -- a Worker's postMessage has no targetOrigin
    worker.postMessage({ frames, format });
  });
}

async function baseFrames(
  cache: FrameCache,
  seriesUrl: string,
  count: number,
): Promise<{ instance: Instance; frames: Uint8Array[] }> {
  const slide = await openSlide(seriesUrl);
  const instance = slide.levels[0]!.instances[0]!;
  const numbers = Array.from({ length: Math.min(count, instance.frameCount) }, (_, i) => i + 1);
  const frames = (await cache.getFrames(instance, numbers)).map((f) => f!.slice());
  return { instance, frames };
}

async function timeGetTile(cache: FrameCache, instance: Instance, count: number, inFlight: number): Promise<number> {
  const numbers = Array.from({ length: Math.min(count, instance.frameCount) }, (_, i) => i + 1);
  (await cache.getTile(instance, 1))?.close();
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < numbers.length) {
        const n = numbers[next++]!;
        (await cache.getTile(instance, n))?.close();
      }
    }),
  );
  return performance.now() - start;
}

async function throughput(series: Series, count: number): Promise<ThroughputRow[]> {
  const cache = new FrameCache({ shared: false, decodedBytes: 0 });
  const rows: ThroughputRow[] = [];
  try {
    const samples = {} as Record<keyof Series, { instance: Instance; frames: Uint8Array[] }>;
    for (const name of ['jpeg', 'jpeg2000', 'none'] as const)
      samples[name] = await baseFrames(cache, series[name], count);
    const raw = samples.none.frames;
    const rawFormat = samples.none.instance.pixelFormat!;
    const cases: [string, Uint8Array[], PixelFormat, Instance | undefined][] = [
      ['JPEG baseline (browser)', samples.jpeg.frames, samples.jpeg.instance.pixelFormat!, samples.jpeg.instance],
      [
        'JPEG 2000 lossless (OpenJPEG)',
        samples.jpeg2000.frames,
        samples.jpeg2000.instance.pixelFormat!,
        samples.jpeg2000.instance,
      ],
      [
        'HTJ2K lossless (OpenJPH)',
        await encodeFrames('htj2k', raw),
        { ...rawFormat, transferSyntaxUid: '1.2.840.10008.1.2.4.201' },
        undefined,
      ],
      [
        'JPEG-LS lossless (CharLS)',
        await encodeFrames('jpeg-ls', raw),
        { ...rawFormat, transferSyntaxUid: '1.2.840.10008.1.2.4.80' },
        undefined,
      ],
      ['uncompressed RGB', raw, rawFormat, samples.none.instance],
    ];
    for (const [syntax, frames, format, instance] of cases) {
      // Worker and main thread in turn, twice; the second round counts (both warm: the browser
      // caches compiled WASM by URL, and neither side gets the quieter moment of the machine).
      await inWorker(frames, format);
      await timeDecodes(frames, format);
      const worker = await inWorker(frames, format);
      const main = await timeDecodes(frames, format);
      const row: ThroughputRow = { syntax, tiles: frames.length, main, worker };
      if (instance !== undefined) {
        row.getTileSerialMs = await timeGetTile(cache, instance, count, 1);
        row.getTileParallelMs = await timeGetTile(cache, instance, count, 8);
      }
      rows.push(row);
    }
  } finally {
    await cache.close();
  }
  return rows;
}

interface PanResult {
  mode: 'worker (getTile)' | 'main thread' | 'idle (no pan)';
  /** Decodes that ran on the main thread, and how many of them took > 50 ms. */
  mainThreadDecodes: number;
  mainThreadDecodesOver50Ms: number;
  tilesDrawn: number;
  longTasks: number;
  longTaskMaxMs: number;
  longTaskTotalMs: number;
  homeViewMs: number;
  /**
   * Long animation frames (> 50 ms) by what ran in them (Long Animation Frames API script
   * attribution: invoker, file, function), summed ms, largest first; and how many of those
   * frames ran decoding code on the main thread.
   */
  longFrameScripts: [string, number][];
  longFramesWithDecoding: number;
}

interface ScriptTiming {
  duration: number;
  invoker: string;
  invokerType: string;
  sourceURL: string;
  sourceFunctionName: string;
}

function describeScript(script: ScriptTiming): string {
  const file =
    script.sourceURL
      .split('/')
      .pop()
      ?.replace(/-[\w-]{8}\.js$/, '.js') ?? '';
  return `${script.invokerType} ${script.invoker} | ${file} ${script.sourceFunctionName}`.trim();
}

/** [start, end] of each decode run on the main thread (performance.now()). */
const mainDecodes: [number, number][] = [];

/** A cache whose getTile decodes on the main thread: the contrast for the long-task count. */
function mainThreadDecoding(cache: FrameCache): FrameCache {
  return new Proxy(cache, {
    get(target, key) {
      if (key === 'getTile') {
        return async (instance: Instance, frameNumber: number, opts?: { signal?: AbortSignal }) => {
          const bytes = await target.getFrame(instance, frameNumber, opts);
          if (bytes === undefined) return undefined;
          const started = performance.now();
          const bitmap = await decodeToBitmap(bytes, instance.pixelFormat!);
          mainDecodes.push([started, performance.now()]);
          return bitmap;
        };
      }
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function pan(seriesUrl: string, mode: PanResult['mode'], steps: number): Promise<PanResult> {
  const cache = new FrameCache({ shared: false, decodedBytes: 0 });
  const slide = await openSlide(seriesUrl);
  const element = document.getElementById('viewer')!;
  element.replaceChildren();
  const viewer = OpenSeadragon({
    element,
    drawer: 'canvas',
    showNavigationControl: false,
    animationTime: 0.3,
    prefixUrl: '',
  });
  const durations: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) durations.push(entry.duration);
  });
  const byScript = new Map<string, number>();
  let framesWithDecoding = 0;
  const frames = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.duration <= 50) continue;
      const scripts = (entry as unknown as { scripts?: ScriptTiming[] }).scripts ?? [];
      // The page is one bundle, so files do not tell decoding apart: a frame "ran decoding" when a
      // main-thread decode overlapped it (with getTile no decode runs on the main thread at all).
      const end = entry.startTime + entry.duration;
      if (mainDecodes.some(([a, b]) => a < end && b > entry.startTime)) framesWithDecoding++;
      if (scripts.length === 0)
        byScript.set(
          '(no script: style, layout, paint, GC)',
          (byScript.get('(no script: style, layout, paint, GC)') ?? 0) + entry.duration,
        );
      for (const sc of scripts) byScript.set(describeScript(sc), (byScript.get(describeScript(sc)) ?? 0) + sc.duration);
    }
  });
  const loaded = (): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => {
        const item = viewer.world.getItemAt(0);
        if (item?.getFullyLoaded()) resolve();
        else setTimeout(check, 20);
      };
      check();
    });
  try {
    const source = createTileSource(slide, mode === 'main thread' ? mainThreadDecoding(cache) : cache);
    // Observed from the open on: the home view of this 2048 x 1536 slide already asks for every
    // level (65 tiles), so the decoding happens there; the pan then redraws at full resolution.
    mainDecodes.length = 0;
    observer.observe({ type: 'longtask', buffered: false });
    frames.observe({ type: 'long-animation-frame', buffered: false });
    const opened = performance.now();
    viewer.open({ tileSource: source });
    await loaded();
    const homeViewMs = performance.now() - opened;
    if (mode === 'idle (no pan)') {
      // The machine's own noise: the same observation, nothing happening on the page.
      durations.length = 0;
      byScript.clear();
      await new Promise((r) => setTimeout(r, steps * 120 + 1000));
      observer.disconnect();
      frames.disconnect();
      return {
        mode,
        mainThreadDecodes: 0,
        mainThreadDecodesOver50Ms: 0,
        tilesDrawn: 0,
        longTasks: durations.length,
        longTaskMaxMs: Math.max(0, ...durations),
        longTaskTotalMs: durations.reduce((a, b) => a + b, 0),
        homeViewMs,
        longFrameScripts: [...byScript]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 5)
          .map(([k, v]) => [k, Math.round(v)] as [string, number]),
        longFramesWithDecoding: 0,
      };
    }
    // Full resolution at the left edge, then pan right across the slide.
    viewer.viewport.zoomTo(viewer.viewport.imageToViewportZoom(1), undefined, true);
    viewer.viewport.panTo(new OpenSeadragon.Point(0.1, 0.2), true);
    await loaded();
    for (let i = 0; i < steps; i++) {
      viewer.viewport.panBy(new OpenSeadragon.Point(0.8 / steps, 0.3 / steps));
      await new Promise((r) => setTimeout(r, 120));
    }
    await loaded();
    await new Promise((r) => setTimeout(r, 200));
    observer.disconnect();
    frames.disconnect();
    return {
      longFrameScripts: [...byScript]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([k, v]) => [k, Math.round(v)] as [string, number]),
      longFramesWithDecoding: framesWithDecoding,
      mode,
      mainThreadDecodes: mainDecodes.length,
      mainThreadDecodesOver50Ms: mainDecodes.filter(([a, b]) => b - a > 50).length,
      tilesDrawn: source.jobCounts().finished,
      longTasks: durations.length,
      longTaskMaxMs: Math.max(0, ...durations),
      longTaskTotalMs: durations.reduce((a, b) => a + b, 0),
      homeViewMs,
    };
  } finally {
    observer.disconnect();
    frames.disconnect();
    viewer.destroy();
    await cache.close();
  }
}

(window as unknown as { benchDecode: object }).benchDecode = { throughput, pan, isolated: () => crossOriginIsolated };
document.title = 'bench ready';
