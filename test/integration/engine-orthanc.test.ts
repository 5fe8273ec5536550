// The engine on the real network path: every frame of every sample encoding read through
// FrameCacheEngine, in block mode and in whole-instance mode, equals byte for byte the frame
// Orthanc returns for a single-frame request; request counts as designed.
import { readFileSync } from 'node:fs';
// @ts-expect-error -- dcmjs ships no type declarations
import dcmjsModule from 'dcmjs';
import { describe, expect, inject, it } from 'vitest';
import { FrameCacheEngine } from '../../src/platform/frame-cache-engine.js';
import { openSlide } from '../../src/slide/slide.js';
import { referenceFrame } from '../helpers/reference-frames.js';
import type { OrthancSlide } from '../setup/orthanc-context.js';
import { startOrthanc, uploadDicomFiles } from '../../scripts/lib/orthanc.mjs';

const orthanc = inject('orthanc');

const dcmjs = dcmjsModule as {
  data: {
    DicomMessage: { readFile(buffer: ArrayBuffer, options: { untilTag: string }): { dict: unknown } };
    DicomMetaDictionary: { naturalizeDataset(dict: unknown): unknown };
  };
};

/** 1-based (column, row) of each frame's top-left pixel, read from the file with dcmjs. */
function framePositions(file: string): [number, number][] {
  const bytes = readFileSync(file);
  const parsed = dcmjs.data.DicomMessage.readFile(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    { untilTag: '7FE00010' },
  );
  const dataset = dcmjs.data.DicomMetaDictionary.naturalizeDataset(parsed.dict) as {
    PerFrameFunctionalGroupsSequence?: {
      PlanePositionSlideSequence?:
        | { ColumnPositionInTotalImagePixelMatrix: number; RowPositionInTotalImagePixelMatrix: number }
        | { ColumnPositionInTotalImagePixelMatrix: number; RowPositionInTotalImagePixelMatrix: number }[];
    }[];
  };
  return (dataset.PerFrameFunctionalGroupsSequence ?? []).map((item) => {
    const seq = item.PlanePositionSlideSequence!;
    const pos = Array.isArray(seq) ? seq[0]! : seq;
    return [pos.ColumnPositionInTotalImagePixelMatrix, pos.RowPositionInTotalImagePixelMatrix];
  });
}

/** The reference: one single-frame WADO-RS request per frame (what viewers do today), fetched once. */
const references = new Map<string, Promise<Uint8Array>>();
function singleFrame(instanceUrl: string, frameNumber: number): Promise<Uint8Array> {
  const key = `${instanceUrl}#${frameNumber}`;
  let reference = references.get(key);
  if (reference === undefined) {
    // Split by the reference splitter (test/helpers), which shares no code with src/.
    reference = referenceFrame(instanceUrl, frameNumber);
    references.set(key, reference);
  }
  return reference;
}

/**
 * Byte equality in native code: a deep toEqual over 196 KB arrays blocks the event loop for
 * seconds, long enough for Orthanc to drop the answers still being sent.
 */
function expectSameBytes(actual: Uint8Array | undefined, expected: Uint8Array, label: string): void {
  expect(actual, label).toBeDefined();
  const same = Buffer.from(actual!.buffer, actual!.byteOffset, actual!.byteLength).equals(
    Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength),
  );
  expect(same, `${label}: ${actual!.byteLength} bytes vs ${expected.byteLength} expected`).toBe(true);
}

async function inBatches<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

function instancesOf(slide: OrthancSlide) {
  return slide.levels.flatMap((level) =>
    level.instances.map((i) => ({ url: `${slide.seriesUrl}/instances/${i.sopInstanceUid}`, frameCount: i.frameCount })),
  );
}

describe('FrameCacheEngine against Orthanc', () => {
  describe.each(['jpeg', 'jpeg2000', 'none', 'split'] as const)('sample %s', (name) => {
    const slide = orthanc.slides[name];
    const instances = instancesOf(slide);

    it('reads every frame in whole-instance mode, one request per instance, equal to single-frame answers', async () => {
      const engine = new FrameCacheEngine({
        hint: 'minimize-requests',
        maxBytes: Infinity,
        wholeInstanceMaxFrames: 10000,
      });
      for (const instance of instances) {
        expect(await engine.getFrame(instance, 1)).toBeDefined();
      }
      // Frames resolve as they arrive: the loads may still run.
      await engine.waitForLoads();
      const stats = await engine.stats();
      expect(stats.retries).toBe(0);
      expect(stats.requests).toBe(instances.length);
      expect(stats.instanceReads).toBe(instances.length);
      expect(stats.instanceFrames).toBe(instances.reduce((s, i) => s + i.frameCount, 0));
      expect(stats.failedRequests).toBe(0);
      for (const instance of instances) {
        const frames = Array.from({ length: instance.frameCount }, (_, i) => i + 1);
        await inBatches(frames, 16, async (n) => {
          expectSameBytes(
            await engine.getCachedFrame(instance.url, n),
            await singleFrame(instance.url, n),
            `${instance.url} frame ${n}`,
          );
        });
      }
      await engine.close();
    });

    it('by default reads a view in one visible request, then its aligned block: every frame equals the single-frame answer', async () => {
      const engine = new FrameCacheEngine({ maxBytes: Infinity });
      const instance = instances.reduce((a, b) => (b.frameCount > a.frameCount ? b : a));
      // A screen of tiles in the middle of the largest instance, asked for in one task.
      const middle = Math.ceil(instance.frameCount / 2);
      const view = [
        ...new Set([middle - 2, middle - 1, middle, middle + 1].filter((n) => n >= 1 && n <= instance.frameCount)),
      ];
      const got = await Promise.all(view.map((n) => engine.getFrame(instance, n)));
      for (let i = 0; i < view.length; i++)
        expectSameBytes(got[i], await singleFrame(instance.url, view[i]!), `view frame ${view[i]}`);
      expect(await engine.stats()).toMatchObject({
        misses: view.length,
        latencyFrameReads: view.length,
        blockedMs: 0,
        failedRequests: 0,
      });
      await engine.waitForLoads();
      const stats = await engine.stats();
      expect(stats.requests).toBeGreaterThan(1); // the view, then the rest behind it
      // What the worker (here the process) learned of the server's link, shared by its engines.
      expect(stats.links).toHaveLength(1);
      expect(stats.links[0]).toMatchObject({ origin: new URL(instance.url).origin });
      expect(stats.links[0]!.samples).toBeGreaterThanOrEqual(stats.requests - stats.retries);
      expect(stats.links[0]!.meanFrameBytes).toBeGreaterThan(0);
      // The rest of the view's block is in memory now: reading it sends nothing more.
      const block = Array.from(
        { length: Math.min(instance.frameCount, 64) },
        (_, i) => i + 1 + Math.floor((middle - 1) / 64) * 64,
      ).filter((n) => n <= instance.frameCount);
      const requestsBefore = stats.requests;
      const rest = await engine.getFrames(instance, block);
      expect((await engine.stats()).requests).toBe(requestsBefore);
      await inBatches(block, 16, async (n) =>
        expectSameBytes(rest[block.indexOf(n)], await singleFrame(instance.url, n), `block frame ${n}`),
      );
      await engine.close();
    });

    it('reads every frame in block mode with ceil-based request counts, equal to single-frame answers', async () => {
      const framesPerMiss = 500;
      const framesPerRequest = 400;
      const engine = new FrameCacheEngine({
        hint: 'minimize-requests',
        maxBytes: Infinity,
        wholeInstanceMaxFrames: 0,
        framesPerMiss,
        framesPerRequest,
      });
      let expectedRequests = 0;
      for (const instance of instances) {
        // Misses at 1, 501, 1001, ...: each loads a window of up to 500, split into requests of 400.
        for (let first = 1; first <= instance.frameCount; first += framesPerMiss) {
          const windowSize = Math.min(framesPerMiss, instance.frameCount - first + 1);
          expectedRequests += Math.ceil(windowSize / framesPerRequest);
          const frames = Array.from({ length: windowSize }, (_, i) => first + i);
          const got = await engine.getFrames(instance, frames);
          expect(got.every((b) => b !== undefined && b.byteLength > 0)).toBe(true);
        }
      }
      await engine.waitForLoads();
      const stats = await engine.stats();
      expect(stats.retries).toBe(0);
      expect(stats.requests).toBe(expectedRequests);
      expect(stats.failedRequests).toBe(0);
      expect(stats.instanceReads).toBe(0);
      for (const instance of instances) {
        const frames = Array.from({ length: instance.frameCount }, (_, i) => i + 1);
        await inBatches(frames, 16, async (n) => {
          expectSameBytes(
            await engine.getCachedFrame(instance.url, n),
            await singleFrame(instance.url, n),
            `${instance.url} frame ${n}`,
          );
        });
      }
      await engine.close();
    });
  });

  it('reads the 768-frame level whole in 1 request, and in block mode (500 per miss, 400 per request) in 3', async () => {
    const base = instancesOf(orthanc.slides.jpeg)[0]!;
    expect(base.frameCount).toBe(768);
    const whole = new FrameCacheEngine({
      hint: 'minimize-requests',
      maxBytes: Infinity,
      wholeInstanceMaxFrames: 10000,
    });
    const blocks = new FrameCacheEngine({ hint: 'minimize-requests', maxBytes: Infinity, wholeInstanceMaxFrames: 0 });
    for (const engine of [whole, blocks]) {
      for (let n = 1; n <= 768; n++) expect(await engine.getFrame(base, n)).toBeDefined();
      await engine.waitForLoads();
    }
    expect((await whole.stats()).requests).toBe(1);
    // Miss at 1 loads 1..500 (400 + 100), miss at 501 loads 501..768 (268): 3 requests. Frames
    // resolve as they arrive, so a read may wait on a frame still loading (a miss, no request).
    expect((await blocks.stats()).requests).toBe(3);
    expect(await blocks.stats()).toMatchObject({ blockReads: 2, blockFrames: 768 });
    await Promise.all([whole.close(), blocks.close()]);
  });
});

describe('openSlide against Orthanc', () => {
  it.each(['jpeg', 'jpeg2000', 'none', 'split'] as const)(
    '%s: levels, sizes, frame counts and frameAt match what the dicomizer wrote',
    async (name) => {
      const truth = orthanc.slides[name];
      const slide = await openSlide(truth.seriesUrl);
      expect(slide.levels).toHaveLength(truth.levels.length);
      slide.levels.forEach((level, i) => {
        const expected = truth.levels[i]!;
        expect(level).toMatchObject({
          index: i,
          width: expected.width,
          height: expected.height,
          frameWidth: expected.tileWidth,
          frameHeight: expected.tileHeight,
          frameCount: expected.frameCount,
        });
        expect(level.instances.map((x) => x.sopInstanceUid)).toEqual(expected.instances.map((x) => x.sopInstanceUid));
        expect(level.instances.map((x) => x.frameOffset)).toEqual(expected.instances.map((x) => x.frameOffset));
        // Corner and middle tiles, checked against the plane positions written in the files.
        const across = Math.ceil(expected.width / expected.tileWidth);
        const down = Math.ceil(expected.height / expected.tileHeight);
        const truthAt = new Map<number, { sopInstanceUid: string; frameNumber: number }>();
        for (const inst of expected.instances) {
          framePositions(inst.file).forEach(([column, row], frameIndex) => {
            const tile =
              Math.floor((row - 1) / expected.tileHeight) * across + Math.floor((column - 1) / expected.tileWidth);
            truthAt.set(tile, { sopInstanceUid: inst.sopInstanceUid, frameNumber: frameIndex + 1 });
          });
        }
        expect(truthAt.size).toBe(expected.frameCount);
        const probes: [number, number][] = [
          [0, 0],
          [expected.width - 1, 0],
          [0, expected.height - 1],
          [expected.width - 1, expected.height - 1],
          [Math.floor(expected.width / 2), Math.floor(expected.height / 2)],
        ];
        for (const [x, y] of probes) {
          const tile = Math.floor(y / expected.tileHeight) * across + Math.floor(x / expected.tileWidth);
          const tileTruth = truthAt.get(tile)!;
          const hit = level.frameAt(x, y);
          expect(hit?.instance.sopInstanceUid, `(${x}, ${y})`).toBe(tileTruth.sopInstanceUid);
          expect(hit?.frameNumber, `(${x}, ${y})`).toBe(tileTruth.frameNumber);
        }
        expect(level.frameAt(expected.width, 0)).toBeUndefined();
        expect(level.frameAt(0, expected.height)).toBeUndefined();
        expect(across * down).toBe(expected.frameCount);
      });
    },
  );
});

describe('auth headers against an Orthanc with authentication', () => {
  it('sends the configured headers: 401 without them (counted, logged, undefined), frames with them', async () => {
    const secured = await startOrthanc({ auth: { username: 'viewer', password: 's3cret-pw' } });
    try {
      const file = orthanc.slides.jpeg.levels[3]!.instances[0]!;
      await uploadDicomFiles(secured, [file.file]);
      const { studyInstanceUid, seriesInstanceUid } = orthanc.slides.jpeg;
      const instance = {
        url: `${secured.dicomWebUrl}/studies/${studyInstanceUid}/series/${seriesInstanceUid}/instances/${file.sopInstanceUid}`,
        frameCount: file.frameCount,
      };
      const errors: unknown[] = [];
      const logger = {
        debug() {},
        info() {},
        warn() {},
        error: (_m: string, fields?: Record<string, unknown>) => void errors.push(fields),
      };
      const anonymous = new FrameCacheEngine({ hint: 'minimize-requests', logger, maxRetries: 0 });
      expect(await anonymous.getFrame(instance, 1)).toBeUndefined();
      expect(await anonymous.stats()).toMatchObject({ failedRequests: 1, memoryBytes: 0 });
      expect(errors[0]).toMatchObject({ code: 'http', status: 401 });
      const seen: string[] = [];
      const authorized = new FrameCacheEngine({
        hint: 'minimize-requests',
        headers: (url) => {
          seen.push(url);
          return secured.headers;
        },
      });
      const frame = await authorized.getFrame(instance, 2);
      expect(frame?.byteLength).toBeGreaterThan(0);
      // Block mode first (read mode unset): one frames request for the whole 12-frame level.
      expect(seen).toEqual([`${instance.url}/frames/1,2,3,4,5,6,7,8,9,10,11,12`]);
      const slide = await openSlide(`${secured.dicomWebUrl}/studies/${studyInstanceUid}/series/${seriesInstanceUid}`, {
        headers: secured.headers,
      });
      expect(slide.levels[0]?.frameCount).toBe(file.frameCount);
      await Promise.all([anonymous.close(), authorized.close()]);
    } finally {
      await secured.stop();
    }
  });
});
