/** JPEG-LS (CharLS, decoder-only build): loaded on first use, WASM as its own file. */
import wasmUrl from '@cornerstonejs/codec-charls/decodewasm?url';
import { createWasmCodec, moduleOptions, type WasmCodec } from './wasm-codec.js';

export async function loadCharls(): Promise<WasmCodec> {
  const { default: factory } = await import('@cornerstonejs/codec-charls/decodewasmjs');
  return createWasmCodec('CharLS', await factory(moduleOptions(wasmUrl)), 'JpegLSDecoder');
}
