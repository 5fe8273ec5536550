// Independent decoders for the pixel tests: OpenJPEG's opj_decompress / opj_compress, and
// pydicom (+ numpy) from Debian's python3 (scripts/lib/deps.mjs installs them).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PYTHON = '/usr/bin/python3';

export function withTempDir<T>(work: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'dwfc-decode-'));
  try {
    return work(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Reads a binary PNM (P5 grey / P6 RGB, maxval <= 255): the samples, interleaved. */
export function readPnm(bytes: Uint8Array): { width: number; height: number; channels: number; data: Uint8Array } {
  const fields: string[] = [];
  let i = 0;
  while (fields.length < 4) {
    while (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09) i++;
    if (bytes[i] === 0x23) {
      while (bytes[i] !== 0x0a) i++;
      continue;
    }
    let token = '';
    while (i < bytes.length && ![0x20, 0x0a, 0x0d, 0x09].includes(bytes[i]!)) token += String.fromCharCode(bytes[i++]!);
    fields.push(token);
  }
  i++; // the single whitespace after maxval
  const [magic, w, h] = fields;
  const channels = magic === 'P6' ? 3 : 1;
  const width = Number(w);
  const height = Number(h);
  return { width, height, channels, data: bytes.subarray(i, i + width * height * channels) };
}

/** opj_decompress of a raw codestream to PNM. */
export function opjDecompress(codestream: Uint8Array): ReturnType<typeof readPnm> {
  return withTempDir((dir) => {
    writeFileSync(join(dir, 'in.j2k'), codestream);
    execFileSync('opj_decompress', ['-i', join(dir, 'in.j2k'), '-o', join(dir, 'out.pnm'), '-quiet'], {
      stdio: 'pipe',
    });
    return readPnm(readFileSync(join(dir, 'out.pnm')));
  });
}

/** opj_compress of an 8-bit RGB image; `rate` 0 is lossless (reversible 5/3), else a compression ratio (irreversible 9/7). */
export function opjCompress(width: number, height: number, rgb: Uint8Array, rate: number): Uint8Array {
  return withTempDir((dir) => {
    const header = new TextEncoder().encode(`P6\n${width} ${height}\n255\n`);
    const pnm = new Uint8Array(header.length + rgb.length);
    pnm.set(header);
    pnm.set(rgb, header.length);
    writeFileSync(join(dir, 'in.ppm'), pnm);
    const args = ['-i', join(dir, 'in.ppm'), '-o', join(dir, 'out.j2k')];
    if (rate > 0) args.push('-r', String(rate), '-I');
    execFileSync('opj_compress', args, { stdio: 'pipe' });
    return new Uint8Array(readFileSync(join(dir, 'out.j2k')));
  });
}

/** Runs a Python snippet with pydicom; `argv` as sys.argv[1:]. */
export function python(script: string, argv: string[]): string {
  return execFileSync(PYTHON, ['-c', script, ...argv], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * pydicom's own pixel decoding of frame `frameIndex` (0-based) of a Part 10 file, written as raw
 * samples (uint8, or little-endian 16-bit) in pydicom's layout: (rows, columns[, samples]).
 */
export function pydicomFrame(file: string, frameIndex: number): { data: Uint8Array; shape: number[]; dtype: string } {
  return withTempDir((dir) => {
    const out = join(dir, 'frame.raw');
    const info = python(
      `import sys, pydicom, numpy as np
ds = pydicom.dcmread(sys.argv[1])
arr = ds.pixel_array
if int(getattr(ds, 'NumberOfFrames', 1) or 1) > 1:
    arr = arr[int(sys.argv[2])]
arr = np.ascontiguousarray(arr)
arr.astype(arr.dtype.newbyteorder('<')).tofile(sys.argv[3])
print(arr.dtype.str, *arr.shape)`,
      [file, String(frameIndex), out],
    )
      .trim()
      .split(' ');
    return { data: new Uint8Array(readFileSync(out)), dtype: info[0]!, shape: info.slice(1).map(Number) };
  });
}

export async function withTempDirAsync<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'dwfc-decode-'));
  try {
    return await work(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** libjpeg-turbo's djpeg (default settings: islow DCT, fancy upsampling) to PNM. */
export function djpeg(jpeg: Uint8Array): ReturnType<typeof readPnm> {
  return withTempDir((dir) => {
    writeFileSync(join(dir, 'in.jpg'), jpeg);
    execFileSync('djpeg', ['-pnm', '-outfile', join(dir, 'out.pnm'), join(dir, 'in.jpg')], { stdio: 'pipe' });
    return readPnm(readFileSync(join(dir, 'out.pnm')));
  });
}
