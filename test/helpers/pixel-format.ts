/** Decoding fixtures: a codec registry with no WASM codec, and a pixel format to override. */
import { CodecRegistry } from '../../src/decode/codec-registry.js';
import type { PixelFormat } from '../../src/decode/pixel-format.js';

/** For frames that need no WASM codec: any call to one is a test bug. */
export const NO_WASM_CODECS = new CodecRegistry({
  jpeg2000: () => Promise.reject(new Error('unused')),
  htj2k: () => Promise.reject(new Error('unused')),
  'jpeg-ls': () => Promise.reject(new Error('unused')),
});

/** Explicit VR little endian RGB, 8 bits, 2 x 1 pixels, unless overridden. */
export function pixelFormat(overrides: Partial<PixelFormat> = {}): PixelFormat {
  return {
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    rows: 1,
    columns: 2,
    samplesPerPixel: 3,
    photometricInterpretation: 'RGB',
    bitsAllocated: 8,
    bitsStored: 8,
    pixelRepresentation: 0,
    planarConfiguration: 0,
    ...overrides,
  };
}
