/** HTJ2K (OpenJPH): loaded on first use, its WASM from `wasmUrl`. */
import { createWasmCodec, moduleOptions, type WasmCodec } from './wasm-codec.js';

export async function loadOpenJph(wasmUrl: string): Promise<WasmCodec> {
  const { default: factory } = await import('@cornerstonejs/codec-openjph/wasmjs');
  return createWasmCodec('OpenJPH', await factory(moduleOptions(wasmUrl)), 'HTJ2KDecoder');
}
