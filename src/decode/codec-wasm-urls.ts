/**
 * Where the codecs' .wasm files are, resolved on the PAGE: an app's bundler copies the worker
 * file verbatim (it is referenced with `new URL(…, import.meta.url)`), so nothing the worker
 * references relatively would survive; the page's own chunk is bundled, and its
 * `new URL('….wasm', import.meta.url)` (vite.config.ts, wasmAsFile) makes the bundler copy each
 * .wasm and give its final URL. The facade sends these URLs with every getTile call.
 */
import charls from '@cornerstonejs/codec-charls/decodewasm?url';
import openjpeg from '@cornerstonejs/codec-openjpeg/decodewasm?url';
import openjph from '@cornerstonejs/codec-openjph/wasm?url';
import type { WasmCodecKind } from './codec-registry.js';

export type CodecWasmUrls = Record<WasmCodecKind, string>;

/** Absolute URLs (a dev server gives root-relative paths: resolved against the page). */
export function codecWasmUrls(base: string): CodecWasmUrls {
  return {
    jpeg2000: new URL(openjpeg, base).href,
    htj2k: new URL(openjph, base).href,
    'jpeg-ls': new URL(charls, base).href,
  };
}
