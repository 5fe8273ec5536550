/**
 * One frame's bytes to 8-bit RGBA, for every syntax but JPEG (the browser decodes those, see
 * tile-decoder.ts): native, RLE Lossless, JPEG 2000, HTJ2K and JPEG-LS, then the colour step.
 * Pure apart from the codecs the registry loads; runs in Node and in workers.
 */
import { FrameCacheError } from '../shared/errors.js';
import { toRgba } from './color.js';
import type { CodecRegistry } from './codec-registry.js';
import { readNativeSamples } from './native.js';
import type { DecodedImage, DecodedSamples, PixelFormat } from './pixel-format.js';
import { decodeRle } from './rle.js';
import { codecForSyntax, j2kUsesColorTransform, sniffFrame, type CodecKind } from './transfer-syntaxes.js';

/**
 * The decoder a frame needs: by its transfer syntax, else by its first bytes. Rejects a syntax
 * no decoder here reads with 'unsupported-syntax' naming it.
 */
export function codecFor(bytes: Uint8Array, format: PixelFormat): CodecKind {
  const uid = format.transferSyntaxUid;
  const kind = uid === '' ? sniffFrame(bytes, format) : codecForSyntax(uid);
  if (kind === undefined) {
    throw new FrameCacheError(
      'unsupported-syntax',
      uid === ''
        ? 'The frame has no transfer syntax in its metadata and its bytes match no syntax decoded here'
        : `No decoder for transfer syntax ${uid}`,
    );
  }
  return kind;
}

export async function decodeFrame(
  bytes: Uint8Array,
  format: PixelFormat,
  codecs: CodecRegistry,
): Promise<DecodedImage> {
  const kind = codecFor(bytes, format);
  let samples: DecodedSamples;
  switch (kind) {
    case 'native':
      samples = readNativeSamples(bytes, format);
      break;
    case 'rle':
      samples = decodeRle(bytes, format);
      break;
    case 'jpeg2000':
    case 'htj2k': {
      samples = (await codecs.get(kind)).decode(bytes);
      // The codestream's component transform (YBR_ICT / YBR_RCT, and the YBR_FULL_422 that
      // some converters write for JPEG 2000) leaves RGB; only YBR_FULL without it is YCbCr.
      samples.rgbAlready =
        format.photometricInterpretation.toUpperCase() !== 'YBR_FULL' || j2kUsesColorTransform(bytes);
      break;
    }
    case 'jpeg-ls':
      samples = (await codecs.get(kind)).decode(bytes);
      break;
    case 'jpeg':
      throw new FrameCacheError(
        'unsupported-syntax',
        'JPEG frames are decoded by the browser (createImageBitmap), not here',
      );
  }
  checkSize(samples, format);
  return toRgba(samples, format);
}

function checkSize(samples: DecodedSamples, format: PixelFormat): void {
  if (format.rows > 0 && format.columns > 0 && (samples.width !== format.columns || samples.height !== format.rows)) {
    throw new FrameCacheError(
      'decode',
      `The frame decoded to ${samples.width}x${samples.height}, the metadata says ${format.columns}x${format.rows}`,
    );
  }
}
