// The small pieces: transfer syntax and bitstream recognition, native layouts, colour steps.
import { describe, expect, it } from 'vitest';
import { NO_WASM_CODECS, pixelFormat } from '../helpers/pixel-format.js';
import { decodeFrame } from '../../src/decode/decode-frame.js';
import type { PixelFormat } from '../../src/decode/pixel-format.js';
import { codecForSyntax, j2kUsesColorTransform, sniffFrame } from '../../src/decode/transfer-syntaxes.js';

const none = NO_WASM_CODECS;
const format = pixelFormat;

const rgba = async (bytes: number[] | Uint8Array, f: Partial<PixelFormat>): Promise<number[]> => [
  ...(await decodeFrame(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), format(f), none)).rgba,
];

describe('transfer syntaxes', () => {
  it('maps every syntax decoded here, and none else', () => {
    expect(codecForSyntax('1.2.840.10008.1.2.4.50')).toBe('jpeg');
    expect(codecForSyntax('1.2.840.10008.1.2.4.90')).toBe('jpeg2000');
    expect(codecForSyntax('1.2.840.10008.1.2.4.203')).toBe('htj2k');
    expect(codecForSyntax('1.2.840.10008.1.2.4.81')).toBe('jpeg-ls');
    expect(codecForSyntax('1.2.840.10008.1.2.5')).toBe('rle');
    expect(codecForSyntax('1.2.840.10008.1.2')).toBe('native');
    expect(codecForSyntax('1.2.840.10008.1.2.2')).toBeUndefined(); // big endian
    expect(codecForSyntax('1.2.840.10008.1.2.4.57')).toBeUndefined(); // JPEG lossless
    expect(codecForSyntax('toString')).toBeUndefined();
  });

  it('recognises frames by their bytes when the metadata names no syntax', () => {
    const layout = { rows: 2, columns: 2, samplesPerPixel: 3, bitsAllocated: 8 };
    expect(sniffFrame(new Uint8Array([0xff, 0xd8, 0xff, 0xdb, 0, 4, 0, 0, 0xff, 0xc0]), layout)).toBe('jpeg');
    expect(sniffFrame(new Uint8Array([0xff, 0xd8, 0xff, 0xf7, 0, 4]), layout)).toBe('jpeg-ls');
    // SIZ of length 4, then CAP (FF50): HTJ2K; without CAP: JPEG 2000.
    expect(sniffFrame(new Uint8Array([0xff, 0x4f, 0xff, 0x51, 0, 2, 0xff, 0x50]), layout)).toBe('htj2k');
    expect(sniffFrame(new Uint8Array([0xff, 0x4f, 0xff, 0x51, 0, 2, 0xff, 0x52]), layout)).toBe('jpeg2000');
    const rle = new Uint8Array(80);
    new DataView(rle.buffer).setUint32(0, 3, true);
    [64, 70, 75].forEach((offset, i) => new DataView(rle.buffer).setUint32(4 + 4 * i, offset, true));
    expect(sniffFrame(rle, layout)).toBe('rle');
    expect(sniffFrame(new Uint8Array(12), layout)).toBe('native');
    expect(sniffFrame(new Uint8Array(13), layout)).toBe('native'); // a pad byte
    expect(sniffFrame(new Uint8Array(20), layout)).toBeUndefined();
  });

  it('reads the component transform flag of a JPEG 2000 COD segment', () => {
    // SOC, SIZ (length 4), COD: Lcod 12, Scod, progression, layers (2), MCT
    const cod = (mct: number) =>
      new Uint8Array([0xff, 0x4f, 0xff, 0x51, 0, 4, 0, 0, 0xff, 0x52, 0, 12, 0, 0, 0, 1, mct]);
    expect(j2kUsesColorTransform(cod(1))).toBe(true);
    expect(j2kUsesColorTransform(cod(0))).toBe(false);
  });
});

describe('native frames and colour', () => {
  it('RGB colour-by-pixel and colour-by-plane give the same pixels', async () => {
    expect(await rgba([10, 20, 30, 40, 50, 60], {})).toEqual([10, 20, 30, 255, 40, 50, 60, 255]);
    expect(await rgba([10, 40, 20, 50, 30, 60], { planarConfiguration: 1 })).toEqual([
      10, 20, 30, 255, 40, 50, 60, 255,
    ]);
  });

  it('YBR_FULL and YBR_FULL_422 convert by the full-range BT.601 equations', async () => {
    // Y 128 Cb 128 Cr 128 is mid grey; Cr 255 pushes red up and green down.
    expect(await rgba([128, 128, 128, 100, 128, 255], { photometricInterpretation: 'YBR_FULL' })).toEqual([
      128, 128, 128, 255, 255, 9, 100, 255,
    ]);
    // Two pixels sharing Cb/Cr: Y1 Y2 Cb Cr.
    expect(await rgba([128, 100, 128, 255], { photometricInterpretation: 'YBR_FULL_422' })).toEqual([
      255, 37, 128, 255, 255, 9, 100, 255,
    ]);
  });

  it('MONOCHROME2 as grey, MONOCHROME1 inverted, 16-bit scaled from BitsStored, signed shifted', async () => {
    const mono = { samplesPerPixel: 1 };
    expect(await rgba([0, 200], { ...mono, photometricInterpretation: 'MONOCHROME2' })).toEqual([
      0, 0, 0, 255, 200, 200, 200, 255,
    ]);
    expect(await rgba([0, 200], { ...mono, photometricInterpretation: 'MONOCHROME1' })).toEqual([
      255, 255, 255, 255, 55, 55, 55, 255,
    ]);
    const words = new Uint8Array(new Uint16Array([4095, 2048]).buffer);
    expect(
      await rgba(words, { ...mono, photometricInterpretation: 'MONOCHROME2', bitsAllocated: 16, bitsStored: 12 }),
    ).toEqual([255, 255, 255, 255, 128, 128, 128, 255]);
    const signed = new Uint8Array(new Int16Array([-2048, 2047]).buffer);
    expect(
      await rgba(signed, {
        ...mono,
        photometricInterpretation: 'MONOCHROME2',
        bitsAllocated: 16,
        bitsStored: 12,
        pixelRepresentation: 1,
      }),
    ).toEqual([0, 0, 0, 255, 255, 255, 255, 255]);
  });

  it('rejects a frame shorter than its metadata says with a decode error', async () => {
    await expect(decodeFrame(new Uint8Array(5), format({}), none)).rejects.toMatchObject({ code: 'decode' });
  });
});
