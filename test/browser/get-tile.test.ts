// getTile in real headless Chromium: the real module worker decodes frames of every sample slide
// read from the real Orthanc; pixels are read back through a canvas.
import { afterEach, describe, expect, it } from 'vitest';
import { FrameCache } from '../../src/page/frame-cache.js';
import { openSlide, type Level } from '../../src/slide/slide.js';
import { isFrameCacheError } from '../../src/shared/errors.js';
import { proxiedSeriesUrl, referenceFrames } from './helpers.js';

const open: FrameCache[] = [];
function track(cache: FrameCache): FrameCache {
  open.push(cache);
  return cache;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

function pixelsOf(bitmap: ImageBitmap): Uint8ClampedArray {
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d')!;
  context.drawImage(bitmap, 0, 0);
  return context.getImageData(0, 0, bitmap.width, bitmap.height).data;
}

/** Largest |a - b| over the RGB channels of RGBA `a` and RGB `b`. */
function maxDifferenceRgb(rgba: Uint8ClampedArray, rgb: ArrayLike<number>): number {
  let max = 0;
  for (let p = 0, q = 0; p < rgba.length; p += 4, q += 3) {
    for (let c = 0; c < 3; c++) max = Math.max(max, Math.abs(rgba[p + c]! - rgb[q + c]!));
  }
  return max;
}

function maxDifference(a: Uint8ClampedArray, b: Uint8ClampedArray): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** Tile positions (pixel x, y) spread over a level. */
function spots(level: Level): [number, number][] {
  return [
    [0, 0],
    [level.width - 1, level.height - 1],
    [Math.floor(level.width / 2), Math.floor(level.height / 3)],
  ];
}

describe('FrameCache.getTile() in Chromium', () => {
  it('decodes the jpeg2000 and none samples to the same pixels as the raw frames (lossless)', async () => {
    const cache = track(new FrameCache());
    const none = await openSlide(proxiedSeriesUrl('none'));
    const j2k = await openSlide(proxiedSeriesUrl('jpeg2000'));
    for (const [index, level] of none.levels.entries()) {
      const raw = level.instances[0]!;
      const reference = await referenceFrames(raw.url, raw.frameCount);
      for (const [x, y] of spots(level)) {
        const n = level.frameAt(x, y)!;
        const j = j2k.levels[index]!.frameAt(x, y)!;
        // Orthanc's metadata names no transfer syntax: the frames' bytes decide.
        expect(j.instance.pixelFormat?.photometricInterpretation).toBe('YBR_FULL_422');
        const fromRaw = (await cache.getTile(n.instance, n.frameNumber))!;
        const fromJ2k = (await cache.getTile(j.instance, j.frameNumber))!;
        expect([fromRaw.width, fromRaw.height, fromJ2k.width, fromJ2k.height]).toEqual([256, 256, 256, 256]);
        expect(maxDifferenceRgb(pixelsOf(fromRaw), reference[n.frameNumber - 1]!)).toBe(0);
        expect(maxDifferenceRgb(pixelsOf(fromJ2k), reference[n.frameNumber - 1]!)).toBe(0);
      }
    }
  });

  it('decodes JPEG tiles (jpeg and split samples) in the worker as the page’s own decoder does', async () => {
    const cache = track(new FrameCache());
    for (const name of ['jpeg', 'split'] as const) {
      const slide = await openSlide(proxiedSeriesUrl(name));
      const level = slide.levels[0]!;
      for (const [x, y] of spots(level)) {
        const { instance, frameNumber } = level.frameAt(x, y)!;
        const tile = (await cache.getTile(instance, frameNumber))!;
        const bytes = (await cache.getFrame(instance, frameNumber))!;
        const direct = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }), {
          colorSpaceConversion: 'none',
        });
        expect([tile.width, tile.height]).toEqual([256, 256]);
        expect(maxDifference(pixelsOf(tile), pixelsOf(direct))).toBe(0);
      }
    }
  });

  it('keeps decoded tiles in a tier bounded by decodedBytes, counted in stats()', async () => {
    const tileBytes = 256 * 256 * 4;
    const cache = track(new FrameCache({ decodedBytes: 2 * tileBytes }));
    const level = (await openSlide(proxiedSeriesUrl('jpeg2000'))).levels[0]!;
    const first = level.frameAt(0, 0)!;
    const a = (await cache.getTile(first.instance, first.frameNumber))!;
    const b = (await cache.getTile(first.instance, first.frameNumber))!;
    expect(maxDifference(pixelsOf(a), pixelsOf(b))).toBe(0);
    let stats = await cache.stats();
    expect(stats.decoded).toMatchObject({
      hits: 1,
      misses: 1,
      decoded: 1,
      tiles: 1,
      bytes: tileBytes,
      maxBytes: 2 * tileBytes,
    });
    for (let column = 1; column <= 4; column++) {
      const f = level.frameAt(column * 256, 0)!;
      (await cache.getTile(f.instance, f.frameNumber))!.close();
    }
    stats = await cache.stats();
    expect(stats.decoded).toMatchObject({ tiles: 2, bytes: 2 * tileBytes, decoded: 5, evictions: 3 });
    // Both bitmaps handed out are the caller's own.
    a.close();
    expect(b.width).toBe(256);
  });

  it('rejects a transfer syntax it cannot decode with unsupported-syntax naming it', async () => {
    const cache = track(new FrameCache());
    const { instance, frameNumber } = (await openSlide(proxiedSeriesUrl('jpeg'))).levels[5]!.frameAt(0, 0)!;
    const error = await cache
      .getTile(
        { ...instance, pixelFormat: { ...instance.pixelFormat!, transferSyntaxUid: '1.2.840.10008.1.2.4.100' } },
        frameNumber,
      )
      .catch((e: unknown) => e);
    expect(isFrameCacheError(error, 'unsupported-syntax')).toBe(true);
    expect((error as Error).message).toContain('1.2.840.10008.1.2.4.100');
    expect((await cache.stats()).decoded?.errors).toBe(1);
  });

  it('rejects with the signal’s reason when the caller aborts', async () => {
    const cache = track(new FrameCache());
    const { instance, frameNumber } = (await openSlide(proxiedSeriesUrl('jpeg2000'))).levels[0]!.frameAt(512, 512)!;
    const controller = new AbortController();
    const reason = new Error('left the view');
    const pending = cache.getTile(instance, frameNumber, { signal: controller.signal });
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });
});
