/**
 * Uncompressed frames (Implicit / Explicit VR Little Endian): the samples as stored, 8 or 16
 * bits, colour-by-pixel or colour-by-plane; YBR_FULL_422 packs two pixels as Y1 Y2 Cb Cr
 * (PS3.3 C.7.6.3.1.2).
 */
import { FrameCacheError } from '../shared/errors.js';
import type { DecodedSamples, PixelFormat } from './pixel-format.js';

export function readNativeSamples(bytes: Uint8Array, format: PixelFormat): DecodedSamples {
  const { rows, columns, samplesPerPixel, bitsAllocated, pixelRepresentation } = format;
  const pixels = rows * columns;
  if (bitsAllocated !== 8 && bitsAllocated !== 16) {
    throw new FrameCacheError(
      'unsupported-syntax',
      `Uncompressed frames with BitsAllocated ${bitsAllocated} are not supported (8 or 16)`,
    );
  }
  const bytesPerSample = bitsAllocated / 8;
  if (format.photometricInterpretation === 'YBR_FULL_422' && samplesPerPixel === 3 && bitsAllocated === 8) {
    return expandYbr422(bytes, columns, rows);
  }
  const needed = pixels * samplesPerPixel * bytesPerSample;
  // Exactly that, or one pad byte more: a longer frame is not of the metadata's size (cropping
  // it would show the wrong pixels as a smaller image).
  if (bytes.length < needed || bytes.length > needed + 1) {
    throw new FrameCacheError(
      'decode',
      `An uncompressed ${columns}x${rows}x${samplesPerPixel} frame needs ${needed} bytes, got ${bytes.length}`,
    );
  }
  const signed = pixelRepresentation === 1;
  let data: Uint8Array | Uint16Array | Int16Array;
  if (bitsAllocated === 8) {
    data = bytes.subarray(0, needed);
  } else {
    // Copy: the frame's byte offset may be odd, and typed arrays need 2-byte alignment.
    const aligned = bytes.slice(0, needed);
    data = signed
      ? new Int16Array(aligned.buffer, 0, pixels * samplesPerPixel)
      : new Uint16Array(aligned.buffer, 0, pixels * samplesPerPixel);
  }
  return {
    width: columns,
    height: rows,
    components: samplesPerPixel,
    bitsAllocated,
    signed,
    data,
    planar: samplesPerPixel > 1 && format.planarConfiguration === 1,
  };
}

/** Y1 Y2 Cb Cr per pixel pair -> Y Cb Cr per pixel (still YBR: the colour step converts). */
function expandYbr422(bytes: Uint8Array, columns: number, rows: number): DecodedSamples {
  const pairsPerRow = Math.ceil(columns / 2);
  const needed = pairsPerRow * 4 * rows;
  if (bytes.length < needed) {
    throw new FrameCacheError(
      'decode',
      `A YBR_FULL_422 ${columns}x${rows} frame needs ${needed} bytes, got ${bytes.length}`,
    );
  }
  const out = new Uint8Array(columns * rows * 3);
  let src = 0;
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < columns; x += 2) {
      const y1 = bytes[src]!;
      const y2 = bytes[src + 1]!;
      const cb = bytes[src + 2]!;
      const cr = bytes[src + 3]!;
      src += 4;
      const o = (y * columns + x) * 3;
      out[o] = y1;
      out[o + 1] = cb;
      out[o + 2] = cr;
      if (x + 1 < columns) {
        out[o + 3] = y2;
        out[o + 4] = cb;
        out[o + 5] = cr;
      }
    }
  }
  return { width: columns, height: rows, components: 3, bitsAllocated: 8, signed: false, data: out, planar: false };
}
