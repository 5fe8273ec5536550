/** JPEG 2000 (OpenJPEG, decoder-only build): loaded on first use, WASM as its own file. */
import wasmUrl from '@cornerstonejs/codec-openjpeg/decodewasm?url';
import { createWasmCodec, moduleOptions, type WasmCodec } from './wasm-codec.js';

export async function loadOpenJpeg(): Promise<WasmCodec> {
  const { default: factory } = await import('@cornerstonejs/codec-openjpeg/decodewasmjs');
  return createWasmCodec('OpenJPEG', await factory(moduleOptions(wasmUrl)), 'J2KDecoder');
}
