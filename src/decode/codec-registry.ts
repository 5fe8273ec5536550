/**
 * The WASM codecs, each loaded the first time a frame needs it (a page that only shows JPEG
 * never downloads one), its .wasm fetched from the URL the page resolved
 * (codec-wasm-urls.ts). A failed load is forgotten, so a later tile tries again.
 */
import type { WasmCodec } from './codecs/wasm-codec.js';

export type WasmCodecKind = 'jpeg2000' | 'htj2k' | 'jpeg-ls';
export type CodecLoaders = Record<WasmCodecKind, () => Promise<WasmCodec>>;

/** Loaders that import each codec's glue on first use and fetch its WASM from `wasmUrls`. */
export function codecLoaders(wasmUrls: Record<WasmCodecKind, string>): CodecLoaders {
  return {
    jpeg2000: () => import('./codecs/openjpeg.js').then((m) => m.loadOpenJpeg(wasmUrls.jpeg2000)),
    htj2k: () => import('./codecs/openjph.js').then((m) => m.loadOpenJph(wasmUrls.htj2k)),
    'jpeg-ls': () => import('./codecs/charls.js').then((m) => m.loadCharls(wasmUrls['jpeg-ls'])),
  };
}

export class CodecRegistry {
  readonly #loaders: CodecLoaders;
  readonly #loaded = new Map<WasmCodecKind, Promise<WasmCodec>>();

  constructor(loaders: CodecLoaders) {
    this.#loaders = loaders;
  }

  get(kind: WasmCodecKind): Promise<WasmCodec> {
    let codec = this.#loaded.get(kind);
    if (codec === undefined) {
      codec = this.#loaders[kind]();
      this.#loaded.set(kind, codec);
      codec.catch(() => this.#loaded.delete(kind));
    }
    return codec;
  }

  /** The codecs loaded (or loading) so far. */
  loaded(): WasmCodecKind[] {
    return [...this.#loaded.keys()];
  }
}
