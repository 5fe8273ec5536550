// The pixel check of the demo end-to-end test: tiles the page decodes with `cache.getTile` (the
// worker's decoders), against an independent decoder run here on the same frame bytes.
import type { Page } from 'playwright-core';
import { djpeg, opjDecompress } from '../decode/references.js';

export interface PageTile {
  frameNumber: number;
  width: number;
  height: number;
  /** base64 of the decoded RGBA (read back through a canvas) and of the stored frame. */
  rgba: string;
  frame: string;
}

/** Three tiles of the base level (corners and middle), decoded in the page's worker. */
export async function decodeTilesInPage(page: Page): Promise<PageTile[]> {
  return page.evaluate(async () => {
    interface Ref {
      instance: { url: string; frameCount: number };
      frameNumber: number;
    }
    const demo = (
      window as unknown as {
        dwfcDemo: {
          slide: { levels: { width: number; height: number; frameAt(x: number, y: number): Ref | undefined }[] };
          cache: {
            getTile(i: object, n: number): Promise<ImageBitmap | undefined>;
            getFrame(i: object, n: number): Promise<Uint8Array | undefined>;
          };
        };
      }
    ).dwfcDemo;
    const base64 = (bytes: Uint8Array | Uint8ClampedArray): string => {
      let text = '';
      for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(text);
    };
    const level = demo.slide.levels[0]!;
    const spots = [
      [0, 0],
      [level.width - 1, level.height - 1],
      [Math.floor(level.width / 2), Math.floor(level.height / 3)],
    ];
    const out = [];
    for (const [x, y] of spots) {
      const ref = level.frameAt(x!, y!)!;
      const bitmap = (await demo.cache.getTile(ref.instance, ref.frameNumber))!;
      const frame = (await demo.cache.getFrame(ref.instance, ref.frameNumber))!;
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const context = canvas.getContext('2d')!;
      context.drawImage(bitmap, 0, 0);
      const rgba = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
      out.push({
        frameNumber: ref.frameNumber,
        width: bitmap.width,
        height: bitmap.height,
        rgba: base64(rgba),
        frame: base64(frame),
      });
      bitmap.close();
    }
    return out;
  });
}

/** The RGB the independent decoder gives for a stored frame: djpeg, opj_decompress, or the raw bytes. */
export function referenceRgb(
  kind: 'jpeg' | 'jpeg2000' | 'none',
  frame: Uint8Array,
  width: number,
  height: number,
): Uint8Array {
  if (kind === 'jpeg') return djpeg(frame).data;
  if (kind === 'jpeg2000') return opjDecompress(frame).data;
  return frame.subarray(0, width * height * 3);
}

/** Largest |difference| over R, G, B between RGBA and RGB pixels. */
export function maxRgbDifference(rgba: Uint8Array, rgb: Uint8Array): number {
  if (rgba.length / 4 !== rgb.length / 3) return Number.POSITIVE_INFINITY;
  let max = 0;
  for (let p = 0, q = 0; p < rgba.length; p += 4, q += 3) {
    for (let c = 0; c < 3; c++) max = Math.max(max, Math.abs(rgba[p + c]! - rgb[q + c]!));
  }
  return max;
}
