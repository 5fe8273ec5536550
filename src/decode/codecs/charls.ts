/** JPEG-LS (CharLS, decoder-only build): loaded on first use, its WASM from `wasmUrl`. */
import { createWasmCodec, moduleOptions, type WasmCodec } from './wasm-codec.js';

export async function loadCharls(wasmUrl: string): Promise<WasmCodec> {
  const { default: factory } = await import('@cornerstonejs/codec-charls/decodewasmjs');
  return createWasmCodec('CharLS', await factory(moduleOptions(wasmUrl)), 'JpegLSDecoder');
}
