/**
 * Worker side of `getTile`: a cached frame to an ImageBitmap. JPEG goes to the browser's own
 * decoder (`createImageBitmap` on a Blob, off the main thread); every other syntax through
 * decodeFrame (native, RLE, WASM codecs loaded on first use) and `ImageData`. Decoded tiles are
 * kept in a byte-bounded tier; each call gets its own bitmap (a copy on a hit), because the
 * one handed out is transferred to the page.
 */
import { FrameCacheError } from '../shared/errors.js';
import { CodecRegistry, codecLoaders, type WasmCodecKind } from './codec-registry.js';
import { codecFor, decodeFrame } from './decode-frame.js';
import { DecodedTier, type DecodedTierStats } from './decoded-tier.js';
import type { PixelFormat } from './pixel-format.js';

/** The default bound of the decoded tier: 128 tiles of 256 x 256. */
export const DEFAULT_DECODED_BYTES = 32 * 1024 * 1024;

/** When the instance carries no pixel format: the bitstream decides (JPEG, JPEG 2000). */
const UNKNOWN_FORMAT: PixelFormat = {
  transferSyntaxUid: '',
  rows: 0,
  columns: 0,
  samplesPerPixel: 3,
  photometricInterpretation: 'RGB',
  bitsAllocated: 8,
  bitsStored: 8,
  pixelRepresentation: 0,
  planarConfiguration: 0,
};

export interface TileDecoderPorts {
  codecs?: CodecRegistry;
  now?: () => number;
}

export class TileDecoder {
  readonly #tier: DecodedTier;
  readonly #codecs: CodecRegistry;
  readonly #now: () => number;
  readonly #counts = { hits: 0, misses: 0, decoded: 0, decodeMs: 0, errors: 0 };

  /** `wasmUrls`: where the page found the codecs' .wasm files (codec-wasm-urls.ts). */
  constructor(maxBytes: number, wasmUrls: Record<WasmCodecKind, string>, ports: TileDecoderPorts = {}) {
    this.#tier = new DecodedTier(maxBytes);
    this.#codecs = ports.codecs ?? new CodecRegistry(codecLoaders(wasmUrls));
    this.#now = ports.now ?? (() => performance.now());
  }

  set maxBytes(value: number) {
    this.#tier.maxBytes = value;
  }

  /** A copy of the decoded tile if the tier holds it (counts a hit), else undefined (counts a miss). */
  async cached(key: string): Promise<ImageBitmap | undefined> {
    const bitmap = this.#tier.get(key);
    if (bitmap === undefined) {
      this.#counts.misses++;
      return undefined;
    }
    this.#counts.hits++;
    return createImageBitmap(bitmap);
  }

  /** Decodes a frame; the result is the caller's (transfer it). Rejects with 'unsupported-syntax' or 'decode'. */
  async decode(key: string, bytes: Uint8Array, format: PixelFormat | undefined): Promise<ImageBitmap> {
    const started = this.#now();
    let bitmap: ImageBitmap;
    try {
      bitmap = await this.#decode(bytes, format ?? UNKNOWN_FORMAT);
    } catch (error) {
      this.#counts.errors++;
      throw error instanceof FrameCacheError
        ? error
        : new FrameCacheError('decode', `The frame could not be decoded: ${String(error)}`, { cause: error });
    }
    this.#counts.decoded++;
    this.#counts.decodeMs += this.#now() - started;
    if (this.#tier.maxBytes > 0) {
      const copy = await createImageBitmap(bitmap);
      if (!this.#tier.set(key, copy)) copy.close();
    }
    return bitmap;
  }

  stats(): DecodedTierStats {
    return {
      tiles: this.#tier.size,
      bytes: this.#tier.bytes,
      maxBytes: this.#tier.maxBytes,
      ...this.#counts,
      decodeMs: Math.round(this.#counts.decodeMs * 10) / 10,
      evictions: this.#tier.evictions,
    };
  }

  resetStats(): void {
    Object.assign(this.#counts, { hits: 0, misses: 0, decoded: 0, decodeMs: 0, errors: 0 });
  }

  clear(): void {
    this.#tier.clear();
  }

  async #decode(bytes: Uint8Array, format: PixelFormat): Promise<ImageBitmap> {
    if (codecFor(bytes, format) === 'jpeg') {
      const blob = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' });
      let bitmap: ImageBitmap;
      try {
        // 'none': the pixels as coded (no ICC colour management), as the other syntaxes give them.
        bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none' });
      } catch (error) {
        throw new FrameCacheError('decode', `The browser could not decode the JPEG frame (${String(error)})`, {
          cause: error,
        });
      }
      // The size check every other syntax gets (decode-frame.ts): a tile of another size is not this frame.
      if (format.columns > 0 && format.rows > 0 && (bitmap.width !== format.columns || bitmap.height !== format.rows)) {
        const message = `The JPEG frame is ${bitmap.width}x${bitmap.height}, its metadata says ${format.columns}x${format.rows}`;
        bitmap.close();
        throw new FrameCacheError('decode', message);
      }
      return bitmap;
    }
    const image = await decodeFrame(bytes, format, this.#codecs);
    return createImageBitmap(new ImageData(image.rgba, image.width, image.height), { colorSpaceConversion: 'none' });
  }
}
