// Synthetic instances for `npm run bench` that the sample slides do not cover: levels of ~1k,
// ~10k and ~50k frames (the scale rows) and an instance of 64 KiB frames (the hit-path rows).
// Written once as DICOM Part 10 files (VL Whole Slide Microscopy, JPEG baseline, encapsulated,
// one fragment per frame, Basic Offset Table) under the git-ignored .data/bench/slides/ and
// reused. The frames are JPEG-like (FFD8 ... FFD9, noise inside): Orthanc serves them as stored
// and, like real JPEG tiles, they do not shrink under gzip.
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './lib/deps.mjs';

/** Bump when a recipe changes: the files are then written again. */
export const BENCH_SLIDES_VERSION = 1;
export const BENCH_SLIDES_DIR = join(REPO_ROOT, '.data', 'bench', 'slides');
const MANIFEST = join(BENCH_SLIDES_DIR, 'manifest.json');

const UID_ROOT = '1.2.826.0.1.3680043.10.999.77';
const STUDY_UID = `${UID_ROOT}.1`;
const SERIES_UID = `${UID_ROOT}.2`;
const SOP_CLASS_WSI = '1.2.840.10008.5.1.4.1.1.77.1.6';
const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';

/**
 * @typedef {{ name: string, frameCount: number, frameBytes: number, jitterBytes: number }} Recipe
 * @typedef {Recipe & { sopInstanceUid: string, file: string, sizeBytes: number }} BenchInstance
 * @typedef {{ version: number, studyInstanceUid: string, seriesInstanceUid: string,
 *   instances: Record<string, BenchInstance> }} BenchSlidesManifest
 */

/** @type {Recipe[]} */
export const BENCH_RECIPES = [
  // Scale: ~2 KiB frames keep the 50k level at ~105 MB (under Orthanc's 512 MB read cache)
  // while the per-frame costs (parts, admission, LRU, worker answers) stay what they are.
  { name: 'scale-1k', frameCount: 1024, frameBytes: 2048, jitterBytes: 256 },
  { name: 'scale-10k', frameCount: 10240, frameBytes: 2048, jitterBytes: 256 },
  { name: 'scale-50k', frameCount: 51200, frameBytes: 2048, jitterBytes: 256 },
  // Hits: exactly 64 KiB per frame, the size the raw postMessage floor echoes.
  { name: 'hits-64k', frameCount: 64, frameBytes: 65536, jitterBytes: 0 },
];

/**
 * Writes the missing synthetic instances and returns the manifest (absolute paths).
 * @param {{ log?: (message: string) => void }} [options]
 * @returns {BenchSlidesManifest}
 */
export function ensureBenchSlides({ log = () => {} } = {}) {
  const known = readManifest();
  /** @type {BenchSlidesManifest} */
  const manifest = {
    version: BENCH_SLIDES_VERSION,
    studyInstanceUid: STUDY_UID,
    seriesInstanceUid: SERIES_UID,
    instances: {},
  };
  let changed = known === undefined;
  mkdirSync(BENCH_SLIDES_DIR, { recursive: true });
  BENCH_RECIPES.forEach((recipe, index) => {
    const file = join(BENCH_SLIDES_DIR, `${recipe.name}.dcm`);
    const previous = known?.instances[recipe.name];
    if (previous !== undefined && existsSync(file) && statSync(file).size === previous.sizeBytes) {
      manifest.instances[recipe.name] = { ...previous, file };
      return;
    }
    const started = performance.now();
    const sopInstanceUid = `${UID_ROOT}.3.${index + 1}`;
    const sizeBytes = writeInstance(file, recipe, sopInstanceUid, index + 1);
    manifest.instances[recipe.name] = { ...recipe, sopInstanceUid, file, sizeBytes };
    changed = true;
    log(
      `${recipe.name}: ${recipe.frameCount} frames, ${(sizeBytes / 1e6).toFixed(1)} MB in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  });
  if (changed) {
    const portable = {
      ...manifest,
      instances: Object.fromEntries(
        Object.entries(manifest.instances).map(([k, v]) => [k, { ...v, file: `${k}.dcm` }]),
      ),
    };
    writeFileSync(MANIFEST, `${JSON.stringify(portable, null, 2)}\n`);
  }
  return manifest;
}

/** @returns {BenchSlidesManifest | undefined} */
function readManifest() {
  if (!existsSync(MANIFEST)) return undefined;
  try {
    const stored = JSON.parse(readFileSync(MANIFEST, 'utf8'));
    return stored.version === BENCH_SLIDES_VERSION ? stored : undefined;
  } catch {
    return undefined;
  }
}

/**
 * @param {string} file
 * @param {Recipe} recipe
 * @param {string} sopInstanceUid
 * @param {number} instanceNumber
 * @returns {number} bytes written
 */
function writeInstance(file, recipe, sopInstanceUid, instanceNumber) {
  const lengths = Array.from({ length: recipe.frameCount }, (_, i) => {
    const jitter = recipe.jitterBytes === 0 ? 0 : ((i * 7919) % (2 * recipe.jitterBytes + 1)) - recipe.jitterBytes;
    return (recipe.frameBytes + jitter) & ~1; // even lengths: no item padding needed
  });
  const bot = Buffer.alloc(4 * recipe.frameCount);
  let offset = 0;
  lengths.forEach((length, i) => {
    bot.writeUInt32LE(offset, 4 * i);
    offset += 8 + length;
  });
  const dataset = Buffer.concat([
    element(0x0008, 0x0016, 'UI', uid(SOP_CLASS_WSI)),
    element(0x0008, 0x0018, 'UI', uid(sopInstanceUid)),
    element(0x0008, 0x0060, 'CS', text('SM')),
    element(0x0010, 0x0010, 'PN', text('BENCH^SYNTHETIC')),
    element(0x0010, 0x0020, 'LO', text('DWFC-BENCH')),
    element(0x0020, 0x000d, 'UI', uid(STUDY_UID)),
    element(0x0020, 0x000e, 'UI', uid(SERIES_UID)),
    element(0x0020, 0x0013, 'IS', text(String(instanceNumber))),
    element(0x0028, 0x0002, 'US', u16(3)),
    element(0x0028, 0x0004, 'CS', text('YBR_FULL_422')),
    element(0x0028, 0x0006, 'US', u16(0)),
    element(0x0028, 0x0008, 'IS', text(String(recipe.frameCount))),
    element(0x0028, 0x0010, 'US', u16(256)),
    element(0x0028, 0x0011, 'US', u16(256)),
    element(0x0028, 0x0100, 'US', u16(8)),
    element(0x0028, 0x0101, 'US', u16(8)),
    element(0x0028, 0x0102, 'US', u16(7)),
    element(0x0028, 0x0103, 'US', u16(0)),
    header(0x7fe0, 0x0010, 'OB', 0xffffffff),
    item(bot.length),
    bot,
  ]);
  const meta = Buffer.concat([
    element(0x0002, 0x0001, 'OB', Buffer.from([0, 1])),
    element(0x0002, 0x0002, 'UI', uid(SOP_CLASS_WSI)),
    element(0x0002, 0x0003, 'UI', uid(sopInstanceUid)),
    element(0x0002, 0x0010, 'UI', uid(JPEG_BASELINE)),
    element(0x0002, 0x0012, 'UI', uid(UID_ROOT)),
  ]);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(meta.length);
  const temp = `${file}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w');
  let written = 0;
  const put = (/** @type {Buffer} */ bytes) => {
    writeSync(fd, bytes);
    written += bytes.length;
  };
  try {
    put(
      Buffer.concat([
        Buffer.alloc(128),
        Buffer.from('DICM', 'latin1'),
        element(0x0002, 0x0000, 'UL', groupLength),
        meta,
        dataset,
      ]),
    );
    // Frames in batches of ~1 MB, so a 100 MB level never sits in memory twice.
    let batch = [];
    let batchBytes = 0;
    for (let i = 0; i < recipe.frameCount; i++) {
      const frame = jpegLike(lengths[i] ?? 0, i + 1 + 1000 * instanceNumber);
      batch.push(item(frame.length), frame);
      batchBytes += frame.length + 8;
      if (batchBytes > 1 << 20) {
        put(Buffer.concat(batch));
        batch = [];
        batchBytes = 0;
      }
    }
    batch.push(header(0xfffe, 0xe0dd, undefined, 0));
    put(Buffer.concat(batch));
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
  return written;
}

/** @param {string} value */
function uid(value) {
  const bytes = Buffer.from(value, 'latin1');
  return bytes.length % 2 === 0 ? bytes : Buffer.concat([bytes, Buffer.from([0])]);
}

/** @param {string} value */
function text(value) {
  const bytes = Buffer.from(value, 'latin1');
  return bytes.length % 2 === 0 ? bytes : Buffer.concat([bytes, Buffer.from(' ')]);
}

/** @param {number} value */
function u16(value) {
  const out = Buffer.alloc(2);
  out.writeUInt16LE(value);
  return out;
}

const LONG_VRS = new Set(['OB', 'OW', 'OF', 'SQ', 'UT', 'UN']);

/**
 * An explicit VR little endian element header (VR undefined: an item-like tag with no VR).
 * @param {number} group
 * @param {number} elementNumber
 * @param {string | undefined} vr
 * @param {number} length
 */
function header(group, elementNumber, vr, length) {
  const tag = Buffer.alloc(4);
  tag.writeUInt16LE(group, 0);
  tag.writeUInt16LE(elementNumber, 2);
  if (vr === undefined) {
    const len = Buffer.alloc(4);
    len.writeUInt32LE(length);
    return Buffer.concat([tag, len]);
  }
  if (LONG_VRS.has(vr)) {
    const rest = Buffer.alloc(8);
    rest.write(vr, 0, 'latin1');
    rest.writeUInt32LE(length >>> 0, 4);
    return Buffer.concat([tag, rest]);
  }
  const rest = Buffer.alloc(4);
  rest.write(vr, 0, 'latin1');
  rest.writeUInt16LE(length, 2);
  return Buffer.concat([tag, rest]);
}

/**
 * @param {number} group
 * @param {number} elementNumber
 * @param {string} vr
 * @param {Buffer} value
 */
function element(group, elementNumber, vr, value) {
  return Buffer.concat([header(group, elementNumber, vr, value.length), value]);
}

/** @param {number} length */
function item(length) {
  return header(0xfffe, 0xe000, undefined, length);
}

/**
 * FFD8, deterministic noise, FFD9.
 * @param {number} length
 * @param {number} seed
 */
function jpegLike(length, seed) {
  const out = Buffer.allocUnsafe(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeUInt32LE(x >>> 0, Math.min(i, length - 4));
  }
  out[0] = 0xff;
  out[1] = 0xd8;
  out[length - 2] = 0xff;
  out[length - 1] = 0xd9;
  return out;
}
