/**
 * RLE Lossless (PS3.5 annex G): a 64-byte header (segment count, then up to 15 segment
 * offsets, little endian), one PackBits segment per byte of each sample, most significant byte
 * first. Segments decode to planes: the result is colour-by-plane.
 */
import { FrameCacheError } from '../shared/errors.js';
import type { DecodedSamples, PixelFormat } from './pixel-format.js';

function fail(message: string): FrameCacheError {
  return new FrameCacheError('decode', `RLE Lossless: ${message}`);
}

export function decodeRle(bytes: Uint8Array, format: PixelFormat): DecodedSamples {
  const { rows, columns, samplesPerPixel, bitsAllocated } = format;
  if (bitsAllocated !== 8 && bitsAllocated !== 16)
    throw new FrameCacheError('unsupported-syntax', `RLE Lossless with BitsAllocated ${bitsAllocated}`);
  const bytesPerSample = bitsAllocated / 8;
  const segments = samplesPerPixel * bytesPerSample;
  if (bytes.length < 64) throw fail(`a frame of ${bytes.length} bytes has no header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(0, true);
  if (count !== segments)
    throw fail(`${count} segments, expected ${segments} (${samplesPerPixel} samples x ${bytesPerSample} bytes)`);
  const pixels = rows * columns;
  const planes = new Uint8Array(pixels * segments);
  for (let s = 0; s < segments; s++) {
    const start = view.getUint32(4 + 4 * s, true);
    const end = s + 1 < segments ? view.getUint32(8 + 4 * s, true) : bytes.length;
    if (start < 64 || end > bytes.length || end < start)
      throw fail(`segment ${s + 1} spans ${start}..${end} of ${bytes.length} bytes`);
    unpackBits(bytes, start, end, planes, s * pixels, pixels);
  }
  const signed = format.pixelRepresentation === 1;
  if (bytesPerSample === 1) {
    return {
      width: columns,
      height: rows,
      components: samplesPerPixel,
      bitsAllocated,
      signed,
      data: planes,
      planar: true,
    };
  }
  // Segment 2s holds the high bytes of sample s, segment 2s + 1 the low bytes.
  const words = signed ? new Int16Array(pixels * samplesPerPixel) : new Uint16Array(pixels * samplesPerPixel);
  for (let c = 0; c < samplesPerPixel; c++) {
    const high = 2 * c * pixels;
    const low = high + pixels;
    for (let p = 0; p < pixels; p++) words[c * pixels + p] = (planes[high + p]! << 8) | planes[low + p]!;
  }
  return {
    width: columns,
    height: rows,
    components: samplesPerPixel,
    bitsAllocated,
    signed,
    data: words,
    planar: true,
  };
}

/** PackBits: n in 0..127 copies n + 1 bytes, n in -127..-1 repeats the next byte 1 - n times, -128 is a no-op. */
function unpackBits(src: Uint8Array, start: number, end: number, out: Uint8Array, at: number, length: number): void {
  let i = start;
  let o = at;
  const stop = at + length;
  while (i < end && o < stop) {
    const n = (src[i++]! << 24) >> 24;
    // A run past the segment's length means the frame is not of the metadata's size (pydicom
    // refuses it too): an error, never a cropped image.
    if (n >= 0) {
      if (n + 1 > stop - o) throw fail(`a segment decodes to more than ${length} bytes`);
      const count = Math.min(n + 1, end - i);
      out.set(src.subarray(i, i + count), o);
      i += n + 1;
      o += count;
    } else if (n !== -128) {
      if (i >= end) break;
      if (1 - n > stop - o) throw fail(`a segment decodes to more than ${length} bytes`);
      const value = src[i++]!;
      out.fill(value, o, o + 1 - n);
      o += 1 - n;
    }
  }
  if (o < stop) throw fail(`a segment decoded to ${o - at} bytes, expected ${length}`);
  // Its end: at most a pad byte (or no-op codes) left, not more runs.
  for (; i < end - 1; i++) {
    if (src[i] !== 0x80) throw fail(`a segment holds more than its ${length} bytes`);
  }
}
