/**
 * The peers of the benchmark, each reading tiles the way it would in a viewer:
 *  - 'dwc-tile':  dicomweb-client, one WADO-RS request per tile (dicom-microscopy-viewer / Slim);
 *  - 'dwc-block': dicomweb-client, N frames per request;
 *  - 'module':    this module's FrameCache (worker, hot tier), any options and hint;
 *  - 'raw':       the floor: `fetch` of given URLs, body read to the end, no parsing, no cache.
 */
import { api } from 'dicomweb-client';
import { FrameCache, type FrameCacheFacadeOptions } from '../../src/page/frame-cache.js';
import type { CacheStats, Hint } from '../../src/core/types.js';
import { openFramesWorker } from './shared-worker-jobs.js';
import { now, pool } from './timing.js';

/** How dicom-microscopy-viewer asks for JPEG baseline tiles (as stored, no transcoding). */
const DWC_MEDIA_TYPES = [{ mediaType: 'image/jpeg', transferSyntaxUID: '1.2.840.10008.1.2.4.50' }];

export interface InstanceTarget {
  sopInstanceUid: string;
  frameCount: number;
}

export interface SeriesTarget {
  /** Absolute DICOMweb root on the page's own origin, e.g. http://127.0.0.1:PORT/dicom-web */
  dicomWebUrl: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
}

export interface LevelTarget extends SeriesTarget, InstanceTarget {
  /** Frame numbers in the order the viewer asks for them. */
  frames: number[];
  /** Tiles in flight (viewer's image loader limit). */
  concurrency: number;
  /**
   * Every peer reads the series' metadata before its first tile, as a viewer does (openSlide's
   * one request, parsed), started with the peer's own setup and outside the clock.
   */
  metadataFirst?: boolean;
}

export type TileReaderSpec =
  | { kind: 'dwc-tile' }
  | {
      kind: 'module';
      options: FrameCacheFacadeOptions;
      hint?: Hint;
      /** The trace asks a view's tiles of one instance in one getFrames call, not one getFrame each. */
      perView?: boolean;
    };

export type ReaderSpec =
  | TileReaderSpec
  | { kind: 'dwc-block'; framesPerRequest: number }
  | {
      kind: 'raw';
      requests: { url: string; accept: string }[];
      concurrency: number;
      /** Read the first request to its end before the others go out (a visible request first). */
      leadAlone?: boolean;
      /**
       * Sent from a worker that streams, parses and copies the frames and posts them packed per
       * read; the page copies each out (shared-worker-jobs.ts): the module's unavoidable work,
       * from a SharedWorker (the default's floor) or a dedicated Worker (`{ shared: false }`'s).
       * All requests (after the lead) at once; `concurrency` is not used.
       */
      workerFrames?: 'shared' | 'dedicated';
    };

export interface ReadOptions {
  /** Module only: read the same tiles again from memory after the cold read. */
  warm?: boolean;
  /** Module only: wait for loads and queued IndexedDB writes before closing. */
  flush?: boolean;
  /** Overrides the target's `metadataFirst` (a peer that asks its first tile as soon as it can). */
  metadataFirst?: boolean;
  /**
   * Module only: after its worker answered, the page is busy elsewhere this long (ms) before it
   * asks for the first tile, as a viewer opens the slide (metadata requests) and builds itself
   * before its first view; the worker has nothing to do meanwhile. Outside the clock.
   */
  idleMs?: number;
}

export interface ReadResult {
  /** Wall time of the read, ms. */
  ms: number;
  /** Time until the first tile asked for resolved, ms. */
  firstMs: number;
  frames: number;
  missing: number;
  frameBytes: number;
  /** Before the clock starts: worker start and engine creation (module), ms. */
  setupMs: number;
  /** With `metadataFirst`: the metadata read, ms (it runs beside the setup). */
  metadataMs?: number;
  /** With `metadataFirst`: from the start of both to the end of the later, ms (the clock starts then). */
  openMs?: number;
  /** Module: the same read again from memory, ms. */
  warmMs?: number;
  stats?: Pick<
    CacheStats,
    | 'requests'
    | 'bytesReceived'
    | 'blockReads'
    | 'blockReadMs'
    | 'instanceReads'
    | 'instanceReadMs'
    | 'latencyFrameReads'
    | 'spillHits'
    | 'hits'
    | 'misses'
    | 'inOrderWholeReads'
    | 'links'
  >;
}

export function instanceUrl(series: SeriesTarget, sopInstanceUid: string): string {
  return `${series.dicomWebUrl}/studies/${series.studyInstanceUid}/series/${series.seriesInstanceUid}/instances/${sopInstanceUid}`;
}

/** One tile at a time, as a viewer asks: resolves with the tile's byte length (0 = missing). */
export interface TraceLevelSpec {
  width: number;
  height: number;
  tileWidth: number;
  tileHeight: number;
  instance: InstanceTarget;
}

export interface TileGetter {
  setupMs: number;
  get(instance: InstanceTarget, frameNumber: number): Promise<number>;
  /** Many frames of one instance in one call (module only): their bytes and how many did not come. */
  getMany?(instance: InstanceTarget, frameNumbers: number[]): Promise<{ bytes: number; missing: number }>;
  /** Whether the frame is in the module's memory now (no request); undefined for other peers. */
  cached?(instance: InstanceTarget, frameNumber: number): Promise<boolean>;
  /** Viewport-driven prefetch around a view (module only). */
  prefetch?(level: TraceLevelSpec, region: { x: number; y: number; width: number; height: number }): Promise<void>;
  stats(): Promise<ReadResult['stats']>;
  /** The module's whole stats() as JSON-safe data (module only). */
  allStats?(): Promise<Record<string, unknown>>;
  close(flush: boolean): Promise<void>;
}

export async function openTileGetter(spec: TileReaderSpec, series: SeriesTarget): Promise<TileGetter> {
  const started = now();
  if (spec.kind === 'dwc-tile') {
    const client = new api.DICOMwebClient({ url: series.dicomWebUrl, singlepart: false });
    return {
      setupMs: now() - started,
      get: async (instance, frameNumber) => {
        const parts = (await client.retrieveInstanceFrames({
          studyInstanceUID: series.studyInstanceUid,
          seriesInstanceUID: series.seriesInstanceUid,
          sopInstanceUID: instance.sopInstanceUid,
          frameNumbers: String(frameNumber),
          mediaTypes: DWC_MEDIA_TYPES,
        } as never)) as unknown as ArrayBuffer[];
        return parts[0]?.byteLength ?? 0;
      },
      stats: async () => undefined,
      close: async () => undefined,
    };
  }
  const cache = new FrameCache(spec.options);
  await cache.stats(); // the worker is up and the engine built before the clock starts
  const refs = new Map<string, { url: string; frameCount: number }>();
  const refOf = (instance: InstanceTarget) => {
    let ref = refs.get(instance.sopInstanceUid);
    if (ref === undefined) {
      ref = { url: instanceUrl(series, instance.sopInstanceUid), frameCount: instance.frameCount };
      refs.set(instance.sopInstanceUid, ref);
    }
    return ref;
  };
  const opts = spec.hint === undefined ? undefined : { hint: spec.hint };
  return {
    setupMs: now() - started,
    get: async (instance, frameNumber) => (await cache.getFrame(refOf(instance), frameNumber, opts))?.byteLength ?? 0,
    getMany: async (instance, frameNumbers) => {
      const frames = await cache.getFrames(refOf(instance), frameNumbers, opts);
      let bytes = 0;
      let missing = 0;
      for (const frame of frames) {
        if (frame === undefined) missing++;
        else bytes += frame.byteLength;
      }
      return { bytes, missing };
    },
    cached: async (instance, frameNumber) =>
      (await cache.getCachedFrame(refOf(instance).url, frameNumber)) !== undefined,
    prefetch: async (level, region) => {
      const instance = refOf(level.instance);
      const across = Math.ceil(level.width / level.tileWidth);
      await cache.prefetch(
        {
          width: level.width,
          height: level.height,
          frameWidth: level.tileWidth,
          frameHeight: level.tileHeight,
          frameAt: (x, y) =>
            x < 0 || y < 0 || x >= level.width || y >= level.height
              ? undefined
              : {
                  instance,
                  frameNumber: Math.floor(y / level.tileHeight) * across + Math.floor(x / level.tileWidth) + 1,
                },
        },
        region,
        { ring: 1 },
      );
    },
    stats: async () => {
      const s = await cache.stats();
      return {
        requests: s.requests,
        bytesReceived: s.bytesReceived,
        blockReads: s.blockReads,
        blockReadMs: s.blockReadMs,
        instanceReads: s.instanceReads,
        instanceReadMs: s.instanceReadMs,
        latencyFrameReads: s.latencyFrameReads,
        spillHits: s.spillHits,
        hits: s.hits,
        misses: s.misses,
        // What the engine learned of the link: why a level read went on whole, or did not.
        inOrderWholeReads: s.inOrderWholeReads,
        links: s.links,
      };
    },
    allStats: async () => JSON.parse(JSON.stringify(await cache.stats())) as Record<string, unknown>,
    close: async (flush) => {
      if (flush) await cache.waitForLoads();
      await cache.close();
    },
  };
}

/** The series' metadata as openSlide reads it (one request), parsed. */
async function readSeriesMetadata(series: SeriesTarget): Promise<void> {
  const url = `${series.dicomWebUrl}/studies/${series.studyInstanceUid}/series/${series.seriesInstanceUid}/metadata`;
  const response = await fetch(url, { headers: { Accept: 'application/dicom+json' } });
  if (!response.ok) throw new Error(`series metadata: HTTP ${response.status}`);
  await response.json();
}

/**
 * What a reader waits for after its own setup and before its clock: the metadata read when the
 * target asks for one (started now, so it runs beside the setup), and the times to report.
 */
function opening(target: LevelTarget, options: ReadOptions): () => Promise<Pick<ReadResult, 'metadataMs' | 'openMs'>> {
  // A driving script may mark the moment (scripts/first-view-ab.mjs: CPU time per process from here).
  const mark = async () => (globalThis as { benchClockStarts?: () => Promise<void> }).benchClockStarts?.();
  if (!(options.metadataFirst ?? target.metadataFirst ?? false))
    return async () => {
      await mark();
      return {};
    };
  const started = now();
  const metadata = readSeriesMetadata(target).then(() => now() - started);
  metadata.catch(() => undefined);
  return async () => {
    const metadataMs = await metadata;
    const openMs = now() - started;
    await mark();
    return { metadataMs, openMs };
  };
}

/**
 * A driving script may mark the read's end (scripts/first-view-ab.mjs: its CPU snapshot), taken
 * after the clock stops and before the reader closes anything: a dedicated worker's thread is
 * gone once its cache closes, and its CPU time with it.
 */
async function markEnd(): Promise<void> {
  await (globalThis as { benchClockEnds?: () => Promise<void> }).benchClockEnds?.();
}

/** Reads a level (or part of one) the way the spec's peer would, tiles in the target's order. */
export async function readLevel(spec: ReaderSpec, target: LevelTarget, options: ReadOptions = {}): Promise<ReadResult> {
  const opened = opening(target, options);
  if (spec.kind === 'dwc-block') return readBlocks(spec.framesPerRequest, target, opened);
  if (spec.kind === 'raw' && spec.workerFrames !== undefined)
    return readThroughWorker(spec.requests, spec.leadAlone === true, spec.workerFrames === 'dedicated', opened);
  if (spec.kind === 'raw') return readRaw(spec.requests, spec.concurrency, spec.leadAlone === true, opened);
  const getter = await openTileGetter(spec, target);
  try {
    const open = await opened();
    if (options.idleMs !== undefined) await new Promise((resolve) => setTimeout(resolve, options.idleMs));
    const cold = await readTiles(getter, target);
    await markEnd();
    const result: ReadResult = { ...cold, setupMs: getter.setupMs, ...open };
    if (options.warm === true) result.warmMs = (await readTiles(getter, target)).ms;
    result.stats = await getter.stats();
    return result;
  } finally {
    await getter.close(options.flush === true);
  }
}

async function readTiles(getter: TileGetter, target: LevelTarget): Promise<Omit<ReadResult, 'setupMs'>> {
  let firstMs = Number.NaN;
  let frameBytes = 0;
  let missing = 0;
  const start = now();
  const firstFrame = target.frames[0];
  // Marks of the read's window for scripts/profile-worker.mjs (cold mode); nothing outside a trace.
  console.timeStamp('read-start');
  await pool(target.frames, target.concurrency, async (n) => {
    const length = await getter.get(target, n);
    if (n === firstFrame) firstMs = now() - start;
    if (length === 0) missing++;
    frameBytes += length;
  });
  console.timeStamp('read-end');
  return { ms: now() - start, firstMs, frames: target.frames.length, missing, frameBytes };
}

async function readBlocks(
  framesPerRequest: number,
  target: LevelTarget,
  opened: ReturnType<typeof opening>,
): Promise<ReadResult> {
  const started = now();
  const client = new api.DICOMwebClient({ url: target.dicomWebUrl, singlepart: false });
  const setupMs = now() - started;
  const open = await opened();
  const chunks: number[][] = [];
  for (let i = 0; i < target.frames.length; i += framesPerRequest)
    chunks.push(target.frames.slice(i, i + framesPerRequest));
  let firstMs = Number.NaN;
  let frameBytes = 0;
  let missing = 0;
  const start = now();
  await pool(chunks, target.concurrency, async (chunk, index) => {
    const parts = (await client.retrieveInstanceFrames({
      studyInstanceUID: target.studyInstanceUid,
      seriesInstanceUID: target.seriesInstanceUid,
      sopInstanceUID: target.sopInstanceUid,
      frameNumbers: chunk.join(','),
      mediaTypes: DWC_MEDIA_TYPES,
    } as never)) as unknown as ArrayBuffer[];
    if (index === 0) firstMs = now() - start;
    missing += chunk.length - parts.length;
    for (const part of parts) frameBytes += part.byteLength;
  });
  const ms = now() - start;
  await markEnd();
  return { ms, firstMs, frames: target.frames.length, missing, frameBytes, setupMs, ...open };
}

/** A frames request's frame count (its URL's list); the floor worker reads frame lists only. */
function framesIn(url: string): number {
  const list = /\/frames\/([\d,]+)/.exec(url)?.[1];
  if (list === undefined) throw new Error(`not a frames request: ${url}`);
  return list.split(',').length;
}

/** The requests through the floor worker (its Accept is the frames one, as the module's requests). */
async function readThroughWorker(
  requests: { url: string }[],
  leadAlone: boolean,
  dedicated: boolean,
  opened: ReturnType<typeof opening>,
): Promise<ReadResult> {
  const worker = await openFramesWorker(dedicated);
  try {
    const open = await opened();
    let firstMs = Number.NaN;
    let bytes = 0;
    let missing = 0;
    const start = now();
    const groups = leadAlone ? [requests.slice(0, 1), requests.slice(1)] : [requests];
    for (const group of groups) {
      const urls = group.map((r) => r.url);
      const read = await worker.run(urls, urls.map(framesIn), true);
      if (Number.isNaN(firstMs)) firstMs = now() - start;
      bytes += read.bytes;
      missing += read.missing;
    }
    const ms = now() - start;
    await markEnd();
    return { ms, firstMs, frames: 0, missing, frameBytes: bytes, setupMs: worker.setupMs, ...open };
  } finally {
    worker.close();
  }
}

async function readRaw(
  requests: { url: string; accept: string }[],
  concurrency: number,
  leadAlone: boolean,
  opened: ReturnType<typeof opening>,
): Promise<ReadResult> {
  const open = await opened();
  let firstMs = Number.NaN;
  let bytes = 0;
  let failed = 0;
  const start = now();
  const read = async ({ url, accept }: { url: string; accept: string }): Promise<void> => {
    const response = await fetch(url, { headers: { Accept: accept } });
    const body = await response.arrayBuffer();
    if (!response.ok) failed++;
    if (Number.isNaN(firstMs)) firstMs = now() - start;
    bytes += body.byteLength;
  };
  const lead = leadAlone ? requests.slice(0, 1) : [];
  for (const request of lead) await read(request);
  await pool(requests.slice(lead.length), concurrency, read);
  const ms = now() - start;
  await markEnd();
  return { ms, firstMs, frames: 0, missing: failed, frameBytes: bytes, setupMs: 0, ...open };
}
