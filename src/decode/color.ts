/**
 * Samples to 8-bit RGBA by photometric interpretation (PS3.3 C.7.6.3.1.2): RGB as is,
 * YBR_FULL / YBR_FULL_422 by the full-range ITU-R BT.601 equations, MONOCHROME2 as grey and
 * MONOCHROME1 inverted. Samples deeper than 8 bits are scaled linearly from their BitsStored
 * range (signed samples shifted to unsigned first): a tile viewer shows them, it does not window.
 */
import { FrameCacheError } from '../shared/errors.js';
import type { DecodedImage, DecodedSamples, PixelFormat } from './pixel-format.js';

const YBR = new Set(['YBR_FULL', 'YBR_FULL_422']);

export function toRgba(samples: DecodedSamples, format: PixelFormat): DecodedImage {
  const { width, height, components } = samples;
  const pixels = width * height;
  const rgba = new Uint8ClampedArray(pixels * 4);
  const to8 = scaler(samples, format);
  const { data, planar } = samples;
  const photometric = format.photometricInterpretation.toUpperCase();
  if (components === 1) {
    const invert = photometric === 'MONOCHROME1';
    for (let p = 0; p < pixels; p++) {
      const g = to8(data[p]!);
      const v = invert ? 255 - g : g;
      const o = p * 4;
      rgba[o] = v;
      rgba[o + 1] = v;
      rgba[o + 2] = v;
      rgba[o + 3] = 255;
    }
    return { width, height, rgba };
  }
  if (components !== 3)
    throw new FrameCacheError('unsupported-syntax', `Frames with ${components} samples per pixel are not supported`);
  const ybr = YBR.has(photometric) && samples.rgbAlready !== true;
  const step = planar ? 1 : 3;
  const offsets = planar ? [0, pixels, 2 * pixels] : [0, 1, 2];
  const [o0, o1, o2] = offsets as [number, number, number];
  for (let p = 0; p < pixels; p++) {
    const i = p * step;
    const a = to8(data[i + o0]!);
    const b = to8(data[i + o1]!);
    const c = to8(data[i + o2]!);
    const o = p * 4;
    if (ybr) {
      // Clamping is the Uint8ClampedArray's (it also rounds half to even).
      rgba[o] = a + 1.402 * (c - 128);
      rgba[o + 1] = a - 0.344136 * (b - 128) - 0.714136 * (c - 128);
      rgba[o + 2] = a + 1.772 * (b - 128);
    } else {
      rgba[o] = a;
      rgba[o + 1] = b;
      rgba[o + 2] = c;
    }
    rgba[o + 3] = 255;
  }
  return { width, height, rgba };
}

/** Maps a stored sample to 0..255. */
function scaler(samples: DecodedSamples, format: PixelFormat): (value: number) => number {
  const bitsStored = Math.min(Math.max(format.bitsStored || samples.bitsAllocated, 1), samples.bitsAllocated);
  if (bitsStored === 8 && !samples.signed) return (v) => v;
  const max = 2 ** bitsStored - 1;
  const offset = samples.signed ? 2 ** (bitsStored - 1) : 0;
  const mask = max;
  if (samples.signed) {
    // Stored values are two's complement in bitsStored bits; the array may hold them unsigned
    // (8-bit frames, high bits not sign-extended): sign-extend from bitsStored first.
    const shift = 32 - bitsStored;
    return (v) => Math.round((((((v & mask) << shift) >> shift) + offset) * 255) / max);
  }
  return (v) => Math.round(((v & mask) * 255) / max);
}
