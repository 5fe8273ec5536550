/**
 * CPU time of the engine reading a level, against its floor's work, without a network or a
 * browser (docs/worker-cost.md, "The cold read's spread, and work against compiling"): the
 * engine (FrameCacheEngine, 16 getFrame calls in flight, row-major, as the bench's cold read)
 * and the floor (the same answers parsed by the same multipart parser, each frame copied once,
 * as the bench's bare-worker floor does) read the same bodies from memory.
 *
 *   node scripts/run-ts.mjs bench/engine-cpu.ts [--reads N] [--warm-up] [--push] [--profile FILE]
 *   node --no-opt --no-sparkplug scripts/run-ts.mjs bench/engine-cpu.ts   V8's interpreter only:
 *       what a fresh worker pays before its frame path is compiled
 *
 * Prints each side's first read and the median of the later ones. The engine's first read is a
 * fresh process's (its code, the parser's included, run for the first time; the answers are
 * built before it); the floor's comes after it (it needs the engine's requests), so the parser
 * has run once by then: the difference of the first reads holds the parser's first run too.
 * Times are ms of wall clock on an otherwise idle thread (no I/O: CPU time).
 *
 * --warm-up: the module's workers' start-up warm-up (src/worker/warm-up.ts) runs first, as in
 * the browser. --push: the engine side as the browser's SharedWorker works in the bench's cold
 * read, where the page's hot tier answers most tiles: the view's 16 tiles asked for, then every
 * admitted frame handed to a listener (the worker's pusher), no getFrame per frame (read-ahead
 * does not run, so the third chunk is not read: both sides read what the engine asked for).
 * --profile writes a V8 CPU profile of the later reads, both sides (open it in DevTools).
 * --first engine|floor: only that side's first read, in this fresh process, and exit. The floor's
 * first read above runs after the engine's, on a parser the engine ran and memory it freed, so
 * "engine - floor: first" overstates the engine's part; one process per side does not (the floor
 * then reads the requests a push-mode engine sends: the visible 16, then the two aligned chunks).
 * Bodies: 768 frames of ~9.3 KB with Orthanc's part headers, delivered in 64 KiB chunks.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { chunkFramesFor } from '../src/core/aligned-chunks.js';
import { FrameCacheEngine } from '../src/platform/frame-cache-engine.js';
import { WORKER_PLATFORM } from '../src/worker/engine-registry.js';
import { MultipartStreamParser } from '../src/transport/multipart.js';
import {
  ORTHANC_LIKE_BOUNDARY,
  buildMultipart,
  noiseBytes,
  orthancContentType,
  orthancFrameHeaders,
} from '../test/helpers/multipart-builder.js';
import { median, pool } from './page/timing.js';

const FRAMES = 768;
const FRAME_BYTES = 9300;
const CHUNK_BYTES = 64 * 1024;
const IN_FLIGHT = 16;
const INSTANCE_URL = 'http://127.0.0.1:8042/dicom-web/studies/1.2.3/series/1.2.4/instances/1.2.5';

const args = process.argv.slice(2);
const value = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const reads = Number(value('--reads') ?? 30);
const profileFile = value('--profile');
const pushMode = args.includes('--push');

const frameBytes = Array.from({ length: FRAMES }, (_, i) => noiseBytes(FRAME_BYTES, i + 1));
const bodies = new Map<string, Uint8Array>();

/** Frames first..last. */
const list = (first: number, last: number): number[] => Array.from({ length: last - first + 1 }, (_, i) => first + i);
/** The frames URL of a list of the instance's frames. */
const framesUrlOf = (frames: number[]): string => `${INSTANCE_URL}/frames/${frames.join(',')}`;

/** The frame numbers a frames URL asks for. */
function framesOf(url: string): number[] {
  return (url.split('/frames/')[1] ?? '').split(',').map(Number);
}

/** The answer to a frames URL, built once per URL. */
function bodyOf(url: string): Uint8Array {
  let body = bodies.get(url);
  if (body === undefined) {
    body = buildMultipart(
      framesOf(url).map((n) => ({
        headers: orthancFrameHeaders(INSTANCE_URL, n, FRAME_BYTES),
        body: frameBytes[n - 1] ?? new Uint8Array(0),
      })),
      { boundary: ORTHANC_LIKE_BOUNDARY },
    );
    bodies.set(url, body);
  }
  return body;
}

/**
 * The answers a fresh engine asks for (the visible 16, then the aligned chunks of 256:
 * src/core/aligned-chunks.ts), built before any clock: built on first use, they were counted
 * in the engine's first read (~8 ms of it in a profile) and not in the floor's.
 */
function prebuildExpectedBodies(): void {
  bodyOf(framesUrlOf(list(1, IN_FLIGHT)));
  const chunk = chunkFramesFor(FRAMES);
  for (let first = 1; first <= FRAMES; first += chunk)
    bodyOf(framesUrlOf(list(first, Math.min(FRAMES, first + chunk - 1))));
}

/** A body streamed in CHUNK_BYTES pieces, each its own buffer as fetch delivers them. */
function streamOf(body: Uint8Array): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= body.length) {
        controller.close();
        return;
      }
      controller.enqueue(body.slice(at, at + CHUNK_BYTES));
      at += CHUNK_BYTES;
    },
  });
}

const urlsSeen = new Set<string>();
const fetchFromMemory = async (input: string | URL | Request): Promise<Response> => {
  const requested = String(input);
  urlsSeen.add(requested);
  return new Response(streamOf(bodyOf(requested)), {
    status: 200,
    headers: { 'Content-Type': orthancContentType(ORTHANC_LIKE_BOUNDARY) },
  });
};

async function engineRead(): Promise<number> {
  // The worker platform (its batch window a task, not 3 ms of quiet): what the browser runs.
  const engine = new FrameCacheEngine(
    { fetch: fetchFromMemory as never, maxBytes: 256 * 1024 * 1024 },
    WORKER_PLATFORM,
  );
  const instance = { url: INSTANCE_URL, frameCount: FRAMES };
  const frameNumbers = Array.from({ length: FRAMES }, (_, i) => i + 1);
  const started = performance.now();
  let bytes = 0;
  if (pushMode) {
    // As the browser's worker reads: the view's tiles asked for, every frame admitted handed on
    // (the worker's pusher queues it), no getFrame per frame (the page's hot tier answers those).
    engine.onAdmission((_url, _n, frame) => void (bytes += frame.byteLength));
    await Promise.all(frameNumbers.slice(0, IN_FLIGHT).map((n) => engine.getFrame(instance, n)));
    await engine.waitForLoads();
  } else {
    await pool(frameNumbers, IN_FLIGHT, async (n) => {
      const frame = await engine.getFrame(instance, n);
      bytes += frame?.byteLength ?? 0;
    });
  }
  const ms = performance.now() - started;
  await engine.close();
  // In push mode, what the requests carried, each frame once (the chunks behind the view).
  const expected = pushMode ? new Set([...urlsSeen].flatMap(framesOf)).size * FRAME_BYTES : FRAMES * FRAME_BYTES;
  if (bytes !== expected) throw new Error(`the engine read ${bytes} bytes, not ${expected}`);
  return ms;
}

/** The floor: the engine's requests (as it sent them), each parsed as it streams, each frame copied once. */
async function floorRead(urls: readonly string[]): Promise<number> {
  const kept: Uint8Array[] = [];
  const started = performance.now();
  await Promise.all(
    urls.map(async (url) => {
      const parser = new MultipartStreamParser(ORTHANC_LIKE_BOUNDARY, {
        onPart: (part) => void kept.push(part.body.slice()),
      });
      const reader = streamOf(bodyOf(url)).getReader();
      for (;;) {
        const { done, value: chunk } = await reader.read();
        if (done) break;
        parser.push(chunk);
      }
      parser.end();
    }),
  );
  const ms = performance.now() - started;
  const frames = urls.reduce((sum, url) => sum + framesOf(url).length, 0);
  if (kept.length !== frames) throw new Error(`the floor kept ${kept.length} of ${frames} frames`);
  return ms;
}

const firstOnly = value('--first');
if (firstOnly !== undefined && firstOnly !== 'engine' && firstOnly !== 'floor')
  throw new Error('--first takes engine or floor');
if (firstOnly === 'floor') {
  // The floor's worker has no warm-up: its first read is its parser's first run.
  const size = chunkFramesFor(FRAMES);
  prebuildExpectedBodies();
  const ms = await floorRead([
    framesUrlOf(list(1, IN_FLIGHT)),
    framesUrlOf(list(1, size)),
    framesUrlOf(list(size + 1, 2 * size)),
  ]);
  console.log(`floor first read (fresh process) ${ms.toFixed(1)} ms`);
  process.exit(0);
}
// The engine first (its requests decide the floor's), each side's first read in a fresh process.
if (args.includes('--warm-up')) {
  const { warmUp } = await import('../src/worker/warm-up.js');
  if ((await warmUp()) === 0) throw new Error('the warm-up read nothing');
}
prebuildExpectedBodies();
const prebuilt = bodies.size;
const engineFirst = await engineRead();
if (firstOnly === 'engine') {
  console.log(
    `engine first read (fresh process) ${engineFirst.toFixed(1)} ms; requests ${[...urlsSeen].map((u) => framesOf(u).length).join(', ')}`,
  );
  process.exit(0);
}
if (bodies.size > prebuilt)
  console.log(
    `note: the engine asked for ${bodies.size - prebuilt} answer(s) not built ahead: built in its first read`,
  );
const urls = [...urlsSeen];
const floorFirst = await floorRead(urls);
const engineLater: number[] = [];
const floorLater: number[] = [];
let session: Session | undefined;
if (profileFile !== undefined) {
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
}
for (let i = 0; i < reads; i++) {
  engineLater.push(await engineRead());
  floorLater.push(await floorRead(urls));
}
if (session !== undefined && profileFile !== undefined) {
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(profileFile, JSON.stringify(profile));
}
const line = (name: string, first: number, later: number[]): string =>
  `${name.padEnd(7)}first read ${first.toFixed(1).padStart(6)} ms   later reads, median of ${later.length}: ${median(later).toFixed(1).padStart(6)} ms`;
const shapes = urls.map((url) => framesOf(url).length);
console.log(
  `${FRAMES} frames of ${FRAME_BYTES} bytes; the engine's requests carried ${shapes.join(', ')} frames; ${CHUNK_BYTES / 1024} KiB chunks`,
);
console.log(line('engine', engineFirst, engineLater));
console.log(line('floor', floorFirst, floorLater));
console.log(
  `engine - floor: first ${(engineFirst - floorFirst).toFixed(1)} ms, later ${(median(engineLater) - median(floorLater)).toFixed(1)} ms`,
);
