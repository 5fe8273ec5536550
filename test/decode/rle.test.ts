// RLE Lossless against pydicom: pydicom encodes (its own RLE encoder) and decodes the file, and
// our decode of each frame must match pydicom's pixel_array exactly. Also 16-bit MONOCHROME2
// (two segments per sample) and the colour-by-plane YBR_FULL that RLE carries.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureSampleSlides } from '../../scripts/lib/sample-slides.mjs';
import { CodecRegistry } from '../../src/decode/codec-registry.js';
import { decodeFrame } from '../../src/decode/decode-frame.js';
import { readPart10Frames } from '../../src/part10/part10.js';
import { isFrameCacheError } from '../../src/shared/errors.js';
import { pydicomFrame, python, withTempDirAsync } from './references.js';

const slides = ensureSampleSlides({ quiet: true }).slides;
const noCodecs = new CodecRegistry({
  jpeg2000: () => Promise.reject(new Error('not needed')),
  htj2k: () => Promise.reject(new Error('not needed')),
  'jpeg-ls': () => Promise.reject(new Error('not needed')),
});

const MAKE = `import sys, pydicom, numpy as np
from pydicom.uid import RLELossless
kind, src, out = sys.argv[1:4]
ds = pydicom.dcmread(src)
if kind == 'mono16':
    arr = ds.pixel_array.astype(np.uint16)
    mono = (arr[..., 0].astype(np.uint32) * 257 + arr[..., 1]) % 4096
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = 'MONOCHROME2'
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    del ds.PlanarConfiguration
    ds.compress(RLELossless, mono.astype(np.uint16))
elif kind == 'ybr':
    ds.compress(RLELossless, pydicom.pixel_data_handlers.util.convert_color_space(ds.pixel_array, 'RGB', 'YBR_FULL'))
    ds.PhotometricInterpretation = 'YBR_FULL'
else:
    ds.compress(RLELossless)
ds.save_as(out)
`;

function format(file: string) {
  const info = python(
    `import sys, pydicom
ds = pydicom.dcmread(sys.argv[1], stop_before_pixels=True)
print(ds.file_meta.TransferSyntaxUID, ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.BitsAllocated, ds.BitsStored, ds.PixelRepresentation, getattr(ds, 'PlanarConfiguration', 0))`,
    [file],
  )
    .trim()
    .split(' ');
  const [transferSyntaxUid, rows, columns, spp, photometricInterpretation, ba, bs, pr, pc] = info;
  return {
    transferSyntaxUid: transferSyntaxUid!,
    rows: Number(rows),
    columns: Number(columns),
    samplesPerPixel: Number(spp),
    photometricInterpretation: photometricInterpretation!,
    bitsAllocated: Number(ba),
    bitsStored: Number(bs),
    pixelRepresentation: Number(pr),
    planarConfiguration: Number(pc),
  };
}

describe('RLE Lossless', { timeout: 60_000 }, () => {
  const source = slides.none.levels[2]!.instances[0]!.file;

  for (const kind of ['rgb', 'ybr', 'mono16'] as const) {
    it(
      `decodes ${kind} frames exactly as pydicom does`,
      () =>
        withTempDirAsync(async (dir) => {
          const file = join(dir, `${kind}.dcm`);
          python(MAKE, [kind, source, file]);
          const fmt = format(file);
          expect(fmt.transferSyntaxUid).toBe('1.2.840.10008.1.2.5');
          const { frames } = readPart10Frames(readFileSync(file));
          for (const index of [0, frames.length - 1]) {
            const image = await decodeFrame(frames[index]!, fmt, noCodecs);
            const reference = pydicomFrame(file, index);
            const px = image.width * image.height;
            if (kind === 'mono16') {
              const words = new Uint16Array(reference.data.buffer, reference.data.byteOffset, px);
              for (let p = 0; p < px; p += 101) expect(image.rgba[p * 4]).toBe(Math.round((words[p]! * 255) / 4095));
            } else if (kind === 'rgb') {
              let max = 0;
              for (let p = 0; p < px; p++)
                for (let c = 0; c < 3; c++)
                  max = Math.max(max, Math.abs(image.rgba[p * 4 + c]! - reference.data[p * 3 + c]!));
              expect(max).toBe(0);
            } else {
              // pydicom returns YBR samples as stored; convert them with its own equations to compare.
              const rgb = python(
                `import sys, numpy as np
from pydicom.pixel_data_handlers.util import convert_color_space
a = np.fromfile(sys.argv[1], dtype=np.uint8).reshape(${image.height}, ${image.width}, 3)
sys.stdout.write(convert_color_space(a, 'YBR_FULL', 'RGB').tobytes().hex())`,
                [writeRaw(dir, reference.data)],
              );
              const expected = Buffer.from(rgb, 'hex');
              let max = 0;
              for (let p = 0; p < px; p++)
                for (let c = 0; c < 3; c++)
                  max = Math.max(max, Math.abs(image.rgba[p * 4 + c]! - expected[p * 3 + c]!));
              // pydicom rounds its YCbCr->RGB through integer tables; ours rounds the float result.
              expect(max).toBeLessThanOrEqual(1);
            }
          }
        }),
      60_000,
    );
  }

  it('rejects a frame whose segment count does not match the metadata', async () => {
    const frame = new Uint8Array(64);
    new DataView(frame.buffer).setUint32(0, 1, true);
    new DataView(frame.buffer).setUint32(4, 64, true);
    const error = await decodeFrame(
      frame,
      { ...format(source), transferSyntaxUid: '1.2.840.10008.1.2.5' },
      noCodecs,
    ).catch((e: unknown) => e);
    expect(isFrameCacheError(error, 'decode')).toBe(true);
  });
});

function writeRaw(dir: string, data: Uint8Array): string {
  const path = join(dir, 'ybr.raw');
  writeFileSync(path, data);
  return path;
}
