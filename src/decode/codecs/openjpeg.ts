/** JPEG 2000 (OpenJPEG, decoder-only build): loaded on first use, its WASM from `wasmUrl`. */
import { createWasmCodec, moduleOptions, type WasmCodec } from './wasm-codec.js';

export async function loadOpenJpeg(wasmUrl: string): Promise<WasmCodec> {
  const { default: factory } = await import('@cornerstonejs/codec-openjpeg/decodewasmjs');
  return createWasmCodec('OpenJPEG', await factory(moduleOptions(wasmUrl)), 'J2KDecoder');
}
