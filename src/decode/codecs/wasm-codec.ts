/**
 * The shape the three WASM codecs share (OpenJPEG, OpenJPH, CharLS, as built by
 * @cornerstonejs/codec-*): an Emscripten factory whose module holds a decoder class; fill
 * `getEncodedBuffer(n)`, call `decode()`, read `getFrameInfo()` and `getDecodedBuffer()`.
 */
import { FrameCacheError } from '../../shared/errors.js';
import type { DecodedSamples } from '../pixel-format.js';

export interface FrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned: boolean;
}

export interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getFrameInfo(): FrameInfo;
  getDecodedBuffer(): Uint8Array;
  /** CharLS: 0 = planes (interleave mode none), 1 = line, 2 = sample. */
  getInterleaveMode?(): number;
  delete(): void;
}

export type EmscriptenFactory = (module?: {
  locateFile?: (path: string, prefix: string) => string;
  wasmBinary?: ArrayBuffer | Uint8Array;
  print?: (text: string) => void;
  printErr?: (text: string) => void;
}) => Promise<Record<string, unknown>>;

/** A loaded codec. */
export interface WasmCodec {
  decode(bytes: Uint8Array): DecodedSamples;
}

/** The Emscripten options every codec is started with: quiet, WASM from `wasmUrl` when given. */
export function moduleOptions(wasmUrl: string | undefined): Parameters<EmscriptenFactory>[0] {
  const quiet = (): void => {};
  return { print: quiet, printErr: quiet, ...(wasmUrl === undefined ? {} : { locateFile: () => wasmUrl }) };
}

export function createWasmCodec(name: string, module: Record<string, unknown>, className: string): WasmCodec {
  const Decoder = module[className] as (new () => WasmDecoder) | undefined;
  if (typeof Decoder !== 'function')
    throw new FrameCacheError('decode', `${name}: the codec module has no ${className}`);
  return {
    decode(bytes) {
      // A fresh decoder per frame: after a failed decode OpenJPEG keeps the previous frame's
      // info and pixels, and reusing the instance would hand those out as this frame.
      const decoder = new Decoder();
      try {
        try {
          decoder.getEncodedBuffer(bytes.length).set(bytes);
          decoder.decode();
        } catch (error) {
          throw new FrameCacheError('decode', `${name} could not decode the frame (${describe(error, module)})`, {
            cause: error,
          });
        }
        const info = decoder.getFrameInfo();
        const bits = info.bitsPerSample <= 8 ? 8 : 16;
        const count = info.width * info.height * info.componentCount;
        // A view into the WASM heap: copy it out before the decoder is freed.
        const raw = decoder.getDecodedBuffer().slice();
        if (count === 0 || raw.length < (count * bits) / 8) {
          throw new FrameCacheError(
            'decode',
            `${name} could not decode the frame (${info.width}x${info.height}x${info.componentCount}, ${raw.length} bytes)`,
          );
        }
        const data =
          bits === 8
            ? raw.subarray(0, count)
            : info.isSigned
              ? new Int16Array(raw.buffer, 0, count)
              : new Uint16Array(raw.buffer, 0, count);
        return {
          width: info.width,
          height: info.height,
          components: info.componentCount,
          bitsAllocated: bits,
          signed: info.isSigned,
          data,
          planar: info.componentCount > 1 && decoder.getInterleaveMode?.() === 0,
        };
      } finally {
        decoder.delete();
      }
    },
  };
}

/** Emscripten throws a heap pointer for C++ exceptions: give it a readable message where the module can. */
function describe(error: unknown, module: Record<string, unknown>): string {
  if (error instanceof Error) return error.message;
  const getMessage = module['getExceptionMessage'];
  if (typeof error === 'number' && typeof getMessage === 'function') {
    try {
      return String((getMessage as (e: number) => unknown)(error));
    } catch {
      // fall through
    }
  }
  return String(error);
}
