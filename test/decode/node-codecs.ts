// The WASM codecs in Node: the packages' CommonJS factories find their .wasm beside them, so the
// registry's browser loaders (which import the .wasm as a URL) are swapped for createRequire.
import { createRequire } from 'node:module';
import { CodecRegistry, type CodecLoaders } from '../../src/decode/codec-registry.js';
import { createWasmCodec, moduleOptions, type EmscriptenFactory } from '../../src/decode/codecs/wasm-codec.js';

const require = createRequire(import.meta.url);

export async function loadModule(specifier: string): Promise<Record<string, unknown>> {
  const factory = require(specifier) as EmscriptenFactory;
  return factory(moduleOptions(undefined));
}

export const NODE_CODEC_LOADERS: CodecLoaders = {
  jpeg2000: async () =>
    createWasmCodec('OpenJPEG', await loadModule('@cornerstonejs/codec-openjpeg/decodewasmjs'), 'J2KDecoder'),
  htj2k: async () =>
    createWasmCodec('OpenJPH', await loadModule('@cornerstonejs/codec-openjph/wasmjs'), 'HTJ2KDecoder'),
  'jpeg-ls': async () =>
    createWasmCodec('CharLS', await loadModule('@cornerstonejs/codec-charls/decodewasmjs'), 'JpegLSDecoder'),
};

export function nodeCodecs(): CodecRegistry {
  return new CodecRegistry(NODE_CODEC_LOADERS);
}
