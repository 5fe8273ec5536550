// One frame to an ImageBitmap, the way the module's worker does it (src/decode/tile-decoder.ts),
// shared by the bench page's main thread and its bench worker so both run the same code.
import { CodecRegistry, codecLoaders } from '../../src/decode/codec-registry.js';
import { codecWasmUrls } from '../../src/decode/codec-wasm-urls.js';
import { codecFor, decodeFrame } from '../../src/decode/decode-frame.js';
import type { PixelFormat } from '../../src/decode/pixel-format.js';

const codecs = new CodecRegistry(codecLoaders(codecWasmUrls(location.href)));

export async function decodeToBitmap(bytes: Uint8Array, format: PixelFormat): Promise<ImageBitmap> {
  if (codecFor(bytes, format) === 'jpeg') {
    return createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }), {
      colorSpaceConversion: 'none',
    });
  }
  const image = await decodeFrame(bytes, format, codecs);
  return createImageBitmap(new ImageData(image.rgba, image.width, image.height), { colorSpaceConversion: 'none' });
}

export interface DecodeTiming {
  tiles: number;
  /** Summed time of each decode (ms), and the wall time of the whole run. */
  decodeMs: number;
  wallMs: number;
  /** Longest single decode (ms): what one main-thread task would block. */
  maxMs: number;
  /** Median decode (ms): robust against the machine taking the CPU away mid-run. */
  medianMs: number;
}

/** Decodes every frame once after one warm-up decode (codec loaded and compiled). */
export async function timeDecodes(frames: Uint8Array[], format: PixelFormat): Promise<DecodeTiming> {
  (await decodeToBitmap(frames[0]!, format)).close();
  let decodeMs = 0;
  let maxMs = 0;
  const each: number[] = [];
  const start = performance.now();
  for (const frame of frames) {
    const t0 = performance.now();
    const bitmap = await decodeToBitmap(frame, format);
    const ms = performance.now() - t0;
    bitmap.close();
    decodeMs += ms;
    maxMs = Math.max(maxMs, ms);
    each.push(ms);
  }
  each.sort((a, b) => a - b);
  const mid = each.length >> 1;
  const medianMs = each.length % 2 === 1 ? each[mid]! : (each[mid - 1]! + each[mid]!) / 2;
  return { tiles: frames.length, decodeMs, wallMs: performance.now() - start, maxMs, medianMs };
}
