// Pixels of every non-JPEG syntax against an independent decoder (JPEG is the browser's: see
// test/browser/get-tile.test.ts). Lossless syntaxes must match exactly.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ensureSampleSlides } from '../../scripts/lib/sample-slides.mjs';
import { decodeFrame } from '../../src/decode/decode-frame.js';
import type { PixelFormat } from '../../src/decode/pixel-format.js';
import { readPart10Frames } from '../../src/part10/part10.js';
import { isFrameCacheError } from '../../src/shared/errors.js';
import { loadModule, nodeCodecs } from './node-codecs.js';
import { opjCompress, opjDecompress, pydicomFrame } from './references.js';

const slides = ensureSampleSlides({ quiet: true }).slides;
const codecs = nodeCodecs();

const RGB8: Omit<PixelFormat, 'transferSyntaxUid'> = {
  rows: 256,
  columns: 256,
  samplesPerPixel: 3,
  photometricInterpretation: 'RGB',
  bitsAllocated: 8,
  bitsStored: 8,
  pixelRepresentation: 0,
  planarConfiguration: 0,
};

/** RGBA -> RGB. */
function rgbOf(rgba: Uint8ClampedArray): Uint8Array {
  const out = new Uint8Array((rgba.length / 4) * 3);
  for (let p = 0, o = 0; p < rgba.length; p += 4, o += 3) {
    out[o] = rgba[p]!;
    out[o + 1] = rgba[p + 1]!;
    out[o + 2] = rgba[p + 2]!;
  }
  return out;
}

function toPlanes(rgb: Uint8Array): Uint8Array {
  const pixels = rgb.length / 3;
  const out = new Uint8Array(rgb.length);
  for (let p = 0; p < pixels; p++) for (let c = 0; c < 3; c++) out[c * pixels + p] = rgb[p * 3 + c]!;
  return out;
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

function levelFile(name: 'jpeg2000' | 'none', level: number): string {
  return slides[name].levels[level]!.instances[0]!.file;
}

// Spawning the reference decoders is slow on a busy machine: a generous per-test timeout.
describe('decodeFrame()', { timeout: 60_000 }, () => {
  it('decodes the jpeg2000 sample (OrthancWSIDicomizer, lossless) exactly as opj_decompress does', async () => {
    const { transferSyntaxUid, frames } = readPart10Frames(readFileSync(levelFile('jpeg2000', 1)));
    expect(transferSyntaxUid).toBe('1.2.840.10008.1.2.4.90');
    // The dicomizer labels these YBR_FULL_422; the codestream's component transform makes them RGB.
    const format = { ...RGB8, transferSyntaxUid, photometricInterpretation: 'YBR_FULL_422' };
    for (const frame of frames) {
      const image = await decodeFrame(frame, format, codecs);
      const reference = opjDecompress(frame);
      expect([image.width, image.height]).toEqual([reference.width, reference.height]);
      expect(maxDifference(rgbOf(image.rgba), reference.data)).toBe(0);
    }
  });

  it('decodes the jpeg2000 sample to the same pixels as the uncompressed sample made from the same source', async () => {
    // Both slides come from one TIFF; the dicomizer writes frames in its own order, so match each
    // JPEG 2000 frame to the raw frame with identical pixels and require a one-to-one mapping.
    const j2k = readPart10Frames(readFileSync(levelFile('jpeg2000', 2))).frames;
    const raw = readPart10Frames(readFileSync(levelFile('none', 2))).frames;
    expect(j2k.length).toBe(raw.length);
    const matched = new Set<number>();
    for (const frame of j2k) {
      const rgb = rgbOf(
        (await decodeFrame(frame, { ...RGB8, transferSyntaxUid: '1.2.840.10008.1.2.4.90' }, codecs)).rgba,
      );
      const index = raw.findIndex((r, i) => !matched.has(i) && maxDifference(rgb, r.subarray(0, rgb.length)) === 0);
      expect(index).toBeGreaterThanOrEqual(0);
      matched.add(index);
    }
  });

  it('decodes lossy JPEG 2000 from opj_compress within 1 of opj_decompress', async () => {
    const raw = readPart10Frames(readFileSync(levelFile('none', 0))).frames[10]!;
    const codestream = opjCompress(256, 256, raw.subarray(0, 256 * 256 * 3), 20);
    const image = await decodeFrame(codestream, { ...RGB8, transferSyntaxUid: '1.2.840.10008.1.2.4.91' }, codecs);
    const reference = opjDecompress(codestream);
    // The 9/7 wavelet is floating point: builds may round a sample differently.
    expect(maxDifference(rgbOf(image.rgba), reference.data)).toBeLessThanOrEqual(1);
    // and it is lossy: not the source
    expect(maxDifference(rgbOf(image.rgba), raw.subarray(0, 256 * 256 * 3))).toBeGreaterThan(0);
  });

  it('decodes the uncompressed sample exactly as pydicom does', async () => {
    const file = levelFile('none', 2);
    const { transferSyntaxUid, frames } = readPart10Frames(readFileSync(file));
    for (const index of [0, 1, frames.length - 1]) {
      const image = await decodeFrame(frames[index]!, { ...RGB8, transferSyntaxUid }, codecs);
      const reference = pydicomFrame(file, index);
      expect(reference.shape).toEqual([256, 256, 3]);
      expect(maxDifference(rgbOf(image.rgba), reference.data)).toBe(0);
    }
  });

  it('decodes HTJ2K from OpenJPH’s own encoder exactly (reversible)', async () => {
    const raw = readPart10Frames(readFileSync(levelFile('none', 0))).frames[7]!.subarray(0, 256 * 256 * 3);
    const module = await loadModule('@cornerstonejs/codec-openjph/wasmjs');
    const Encoder = module['HTJ2KEncoder'] as new () => {
      getDecodedBuffer(info: object): Uint8Array;
      setQuality(reversible: boolean, step: number): void;
      encode(): void;
      getEncodedBuffer(): Uint8Array;
    };
    const encoder = new Encoder();
    encoder
      .getDecodedBuffer({
        width: 256,
        height: 256,
        bitsPerSample: 8,
        componentCount: 3,
        isSigned: false,
        isUsingColorTransform: true,
      })
      .set(raw);
    encoder.setQuality(true, 0);
    encoder.encode();
    const codestream = encoder.getEncodedBuffer().slice();
    const image = await decodeFrame(codestream, { ...RGB8, transferSyntaxUid: '1.2.840.10008.1.2.4.201' }, codecs);
    expect(maxDifference(rgbOf(image.rgba), raw)).toBe(0);
    // and by sniffing when the metadata names no syntax
    const sniffed = await decodeFrame(codestream, { ...RGB8, transferSyntaxUid: '' }, codecs);
    expect(maxDifference(sniffed.rgba, image.rgba)).toBe(0);
  });

  it('decodes JPEG-LS from CharLS’s own encoder: exact when lossless, within NEAR when near-lossless', async () => {
    const raw = readPart10Frames(readFileSync(levelFile('none', 0))).frames[9]!.subarray(0, 256 * 256 * 3);
    const module = await loadModule('@cornerstonejs/codec-charls/wasmjs');
    const Encoder = module['JpegLSEncoder'] as new () => {
      getDecodedBuffer(info: object): Uint8Array;
      setNearLossless(near: number): void;
      setInterleaveMode(mode: number): void;
      encode(): void;
      getEncodedBuffer(): Uint8Array;
    };
    for (const [near, interleave] of [
      [0, 2],
      [0, 0],
      [2, 1],
    ] as const) {
      const encoder = new Encoder();
      // Interleave mode 0 (none) takes and gives colour planes.
      encoder
        .getDecodedBuffer({ width: 256, height: 256, bitsPerSample: 8, componentCount: 3, isSigned: false })
        .set(interleave === 0 ? toPlanes(raw) : raw);
      encoder.setNearLossless(near);
      encoder.setInterleaveMode(interleave);
      encoder.encode();
      const stream = encoder.getEncodedBuffer().slice();
      const uid = near === 0 ? '1.2.840.10008.1.2.4.80' : '1.2.840.10008.1.2.4.81';
      const image = await decodeFrame(stream, { ...RGB8, transferSyntaxUid: uid }, codecs);
      expect(maxDifference(rgbOf(image.rgba), raw)).toBe(near);
    }
  });

  it('rejects a transfer syntax no decoder reads with unsupported-syntax naming it', async () => {
    const error = await decodeFrame(
      new Uint8Array(10),
      { ...RGB8, transferSyntaxUid: '1.2.840.10008.1.2.4.100' },
      codecs,
    ).catch((e: unknown) => e);
    expect(isFrameCacheError(error, 'unsupported-syntax')).toBe(true);
    expect((error as Error).message).toContain('1.2.840.10008.1.2.4.100');
  });

  it('rejects a corrupt JPEG 2000 frame with a decode error', async () => {
    const error = await decodeFrame(
      new Uint8Array([0xff, 0x4f, 0xff, 0x51, 0, 0]),
      { ...RGB8, transferSyntaxUid: '1.2.840.10008.1.2.4.90' },
      codecs,
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'FrameCacheError' });
    expect(isFrameCacheError(error, 'decode')).toBe(true);
  });
});
