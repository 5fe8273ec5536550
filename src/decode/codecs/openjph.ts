/** HTJ2K (OpenJPH): loaded on first use, WASM as its own file. */
import wasmUrl from '@cornerstonejs/codec-openjph/wasm?url';
import { createWasmCodec, moduleOptions, type WasmCodec } from './wasm-codec.js';

export async function loadOpenJph(): Promise<WasmCodec> {
  const { default: factory } = await import('@cornerstonejs/codec-openjph/wasmjs');
  return createWasmCodec('OpenJPH', await factory(moduleOptions(wasmUrl)), 'HTJ2KDecoder');
}
