// HTJ2K and JPEG-LS test frames made in the page from raw tiles by the codecs' own encoders
// (the sample slides hold no such frames).
import charlsFactory from '@cornerstonejs/codec-charls/wasmjs';
import charlsWasm from '@cornerstonejs/codec-charls/wasm?url';
import openjphFactory from '@cornerstonejs/codec-openjph/wasmjs';
import openjphWasm from '@cornerstonejs/codec-openjph/wasm?url';
import { moduleOptions } from '../../src/decode/codecs/wasm-codec.js';

interface Encoder {
  getDecodedBuffer(info: object): Uint8Array;
  encode(): void;
  getEncodedBuffer(): Uint8Array;
  setQuality?(reversible: boolean, step: number): void;
  setNearLossless?(near: number): void;
  setInterleaveMode?(mode: number): void;
  delete(): void;
}

const INFO = {
  width: 256,
  height: 256,
  bitsPerSample: 8,
  componentCount: 3,
  isSigned: false,
  isUsingColorTransform: true,
};

export async function encodeFrames(kind: 'htj2k' | 'jpeg-ls', rgbTiles: Uint8Array[]): Promise<Uint8Array[]> {
  const module =
    kind === 'htj2k'
      ? await openjphFactory(moduleOptions(openjphWasm))
      : await charlsFactory(moduleOptions(charlsWasm));
  const Encoder = module[kind === 'htj2k' ? 'HTJ2KEncoder' : 'JpegLSEncoder'] as new () => Encoder;
  return rgbTiles.map((rgb) => {
    const encoder = new Encoder();
    encoder.getDecodedBuffer(INFO).set(rgb.subarray(0, 256 * 256 * 3));
    encoder.setQuality?.(true, 0);
    encoder.setInterleaveMode?.(2);
    encoder.encode();
    const out = encoder.getEncodedBuffer().slice();
    encoder.delete();
    return out;
  });
}
