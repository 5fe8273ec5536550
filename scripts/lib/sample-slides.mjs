// Synthetic whole-slide images as DICOM files, made with vips (a tissue-like texture) and
// OrthancWSIDicomizer, under .data/slides/<name>/. Each sample is regenerated only when its files
// are missing or SAMPLE_SLIDES_VERSION changes; .data/slides/manifest.json describes them. Making
// them happens under the lock .data/slides.lock, so two processes (`npm run demo` while `npm test`
// makes them) never make them at once: the second waits, then reuses what the first made.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import dicomParser from 'dicom-parser';
import { REPO_ROOT } from './deps.mjs';
import { isProcessAlive, withDirLock } from './dir-lock.mjs';

/** Bump when a recipe below changes: every sample is then made again. */
export const SAMPLE_SLIDES_VERSION = 1;
export const SLIDES_DIR = join(REPO_ROOT, '.data', 'slides');
export const MANIFEST_FILE = join(SLIDES_DIR, 'manifest.json');
/** Held (a directory, see dir-lock.mjs) while samples are made and the manifest is written. */
export const LOCK_DIR = join(REPO_ROOT, '.data', 'slides.lock');
/** How long a run waits for another process's generation (well under a minute normally) before it throws. */
const LOCK_TIMEOUT_MS = 30 * 60_000;

const TRANSFER_SYNTAX = {
  jpeg: '1.2.840.10008.1.2.4.50',
  jpeg2000: ['1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.91'],
  // The dicomizer writes uncompressed tiles as Implicit VR Little Endian.
  none: ['1.2.840.10008.1.2', '1.2.840.10008.1.2.1'],
};

/**
 * @typedef {'jpeg' | 'jpeg2000' | 'none' | 'split'} SampleSlideName
 * @typedef {{ name: SampleSlideName, description: string, width: number, height: number,
 *   jpegQuality: number, compression: 'jpeg' | 'jpeg2000' | 'none', maxSizeMb: number,
 *   check: (slide: SampleSlide) => string | undefined }} Recipe
 * @typedef {{ sopInstanceUid: string, file: string, frameCount: number, frameOffset: number,
 *   transferSyntaxUid: string, sizeBytes: number }} SampleInstance
 * @typedef {{ width: number, height: number, tileWidth: number, tileHeight: number,
 *   frameCount: number, instances: SampleInstance[] }} SampleLevel
 * @typedef {{ name: SampleSlideName, description: string, dir: string, files: string[],
 *   studyInstanceUid: string, seriesInstanceUid: string, transferSyntaxUid: string,
 *   width: number, height: number, levels: SampleLevel[] }} SampleSlide
 * @typedef {{ version: number, slides: Record<SampleSlideName, SampleSlide> }} SampleSlidesManifest
 */

/** @type {Recipe[]} */
const RECIPES = [
  {
    name: 'jpeg',
    description: '8192x6144 RGB, JPEG baseline 256x256 tiles, one instance per level (the demo slide)',
    width: 8192,
    height: 6144,
    jpegQuality: 75,
    compression: 'jpeg',
    maxSizeMb: 0,
    check: (slide) =>
      expectEqual('frames per level', slide.levels.map((level) => level.frameCount).join(','), '768,192,48,12,4,1') ??
      expectEqual('instances', String(slide.files.length), '6') ??
      expectEqual('transfer syntax', slide.transferSyntaxUid, TRANSFER_SYNTAX.jpeg),
  },
  {
    name: 'jpeg2000',
    description: '2048x1536 RGB, JPEG 2000 256x256 tiles',
    width: 2048,
    height: 1536,
    jpegQuality: 90,
    compression: 'jpeg2000',
    maxSizeMb: 0,
    check: (slide) =>
      TRANSFER_SYNTAX.jpeg2000.includes(slide.transferSyntaxUid)
        ? undefined
        : `transfer syntax ${slide.transferSyntaxUid} is not JPEG 2000`,
  },
  {
    name: 'none',
    description: '2048x1536 RGB, uncompressed (Explicit VR Little Endian) 256x256 tiles',
    width: 2048,
    height: 1536,
    jpegQuality: 90,
    compression: 'none',
    maxSizeMb: 0,
    check: (slide) =>
      TRANSFER_SYNTAX.none.includes(slide.transferSyntaxUid)
        ? undefined
        : `transfer syntax ${slide.transferSyntaxUid} is not uncompressed little endian`,
  },
  {
    name: 'split',
    description: '4096x3072 RGB, JPEG 256x256 tiles, base level split over >= 3 instances (concatenation)',
    width: 4096,
    height: 3072,
    // Quality 90 puts ~2.8 MB in the base level, so --max-size 1 gives it 3 instances.
    jpegQuality: 90,
    compression: 'jpeg',
    maxSizeMb: 1,
    check: (slide) =>
      (slide.levels[0]?.instances.length ?? 0) >= 3
        ? undefined
        : `base level has ${slide.levels[0]?.instances.length ?? 0} instances, expected >= 3`,
  },
];

/**
 * Makes the sample slides that are missing and returns the manifest (paths absolute). When all are
 * there no lock is taken; otherwise the work is done holding LOCK_DIR, waiting first for another
 * process that holds it (a message says so, even when quiet) for up to `lockTimeoutMs` (30 min).
 * @param {{ quiet?: boolean, lockTimeoutMs?: number }} [options]
 * @returns {SampleSlidesManifest}
 */
export function ensureSampleSlides({ quiet = false, lockTimeoutMs = LOCK_TIMEOUT_MS } = {}) {
  const log = quiet ? () => {} : (/** @type {string} */ message) => console.log(`[slides] ${message}`);
  // Without the lock: manifest.json is replaced in one step and loses the entries of the samples to
  // make before their folders are touched, so an entry whose files all exist can be trusted.
  const present = presentSlides(readManifest());
  if (present.missing.length === 0) {
    log(`reusing ${relative(REPO_ROOT, SLIDES_DIR)} (version ${SAMPLE_SLIDES_VERSION})`);
    return inRecipeOrder(present.slides);
  }
  return withDirLock(
    LOCK_DIR,
    {
      what: 'sample-slide generation',
      timeoutMs: lockTimeoutMs,
      log: (message) => console.log(`[slides] ${message}`),
    },
    () => makeMissingSamples(log),
  );
}

/**
 * The samples of `manifest` whose files all exist, and the recipes of the others.
 * @param {SampleSlidesManifest | undefined} manifest
 * @returns {{ slides: Partial<SampleSlidesManifest['slides']>, missing: Recipe[] }}
 */
function presentSlides(manifest) {
  /** @type {Partial<SampleSlidesManifest['slides']>} */
  const slides = {};
  for (const recipe of RECIPES) {
    const known = manifest?.slides[recipe.name];
    if (known !== undefined && known.files.length > 0 && known.files.every((file) => existsSync(file))) {
      slides[recipe.name] = known;
    }
  }
  return { slides, missing: RECIPES.filter((recipe) => slides[recipe.name] === undefined) };
}

/**
 * Holding LOCK_DIR: looks at the manifest again (the process this one waited for may have made
 * everything) and makes what is still missing.
 * @param {(message: string) => void} log
 * @returns {SampleSlidesManifest}
 */
function makeMissingSamples(log) {
  removeStaleWorkDirs();
  const previous = readManifest();
  const { slides, missing } = presentSlides(previous);
  // The entries of the samples to make leave manifest.json before their folders are touched, so an
  // interrupted run leaves no entry that trusts what is in those folders.
  if (previous !== undefined && missing.length > 0) writeManifest(inRecipeOrder(slides));
  const changed = missing.length > 0;
  const started = performance.now();
  for (const recipe of missing) {
    slides[recipe.name] = generateSample(recipe, log);
    // Written after every sample, with the valid ones kept, so a failure later on throws none away.
    writeManifest(inRecipeOrder(slides));
  }
  const manifest = inRecipeOrder(slides);
  if (changed) {
    log(`all samples ready in ${seconds(performance.now() - started)} (${relative(REPO_ROOT, MANIFEST_FILE)})`);
  } else {
    log(`reusing ${relative(REPO_ROOT, SLIDES_DIR)} (version ${SAMPLE_SLIDES_VERSION})`);
  }
  return manifest;
}

/**
 * @param {Recipe} recipe
 * @param {(message: string) => void} log
 * @returns {SampleSlide}
 */
function generateSample(recipe, log) {
  const finalDir = join(SLIDES_DIR, recipe.name);
  const workDir = join(SLIDES_DIR, `.tmp-${recipe.name}-${process.pid}`);
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  try {
    const tiff = join(workDir, 'slide.tif');
    timed(log, `${recipe.name}: vips ${recipe.width}x${recipe.height} texture -> pyramidal JPEG TIFF`, () =>
      makeSlideTiff(workDir, recipe, tiff),
    );
    const outDir = join(workDir, 'dicom');
    mkdirSync(outDir);
    const dataset = join(workDir, 'dataset.json');
    writeFileSync(
      dataset,
      JSON.stringify({
        PatientID: 'DWFC-SAMPLE',
        PatientName: `SAMPLE^${recipe.name.toUpperCase()}`,
        SeriesDescription: `dicomweb-frame-cache sample '${recipe.name}'`,
      }),
    );
    const compression = recipe.compression === 'jpeg' ? [] : ['--compression', recipe.compression];
    timed(
      log,
      `${recipe.name}: OrthancWSIDicomizer${compression.length > 0 ? ` --compression ${recipe.compression}` : ''}`,
      () =>
        run('OrthancWSIDicomizer', [
          tiff,
          '--folder',
          outDir,
          '--dataset',
          dataset,
          '--max-size',
          String(recipe.maxSizeMb),
          '--threads',
          '2',
          ...compression,
        ]),
    );
    // Described and checked where it was written: only a sample that passes replaces the old one.
    const written = describeSlide(recipe, outDir);
    const problem = recipe.check(written);
    if (problem !== undefined) throw new Error(`Sample slide '${recipe.name}' is not as expected: ${problem}`);
    rmSync(finalDir, { recursive: true, force: true });
    renameSync(outDir, finalDir);
    const slide = mapPaths({ version: SAMPLE_SLIDES_VERSION, slides: { [recipe.name]: written } }, (path) =>
      join(finalDir, relative(outDir, path)),
    ).slides[recipe.name];
    const sizeMb = slide.files.reduce((sum, file) => sum + statSync(file).size, 0) / 1e6;
    log(
      `${recipe.name}: ${slide.files.length} instances, ${sizeMb.toFixed(1)} MB, frames per level ` +
        slide.levels
          .map((level) => `${level.frameCount}${level.instances.length > 1 ? `(${level.instances.length} inst)` : ''}`)
          .join(' '),
    );
    return slide;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/**
 * A pink stroma with purple nuclei (Worley cells), fine grain (small Perlin) and white holes
 * (large Perlin), all seeded so the image is the same on every machine.
 * @param {string} dir
 * @param {Recipe} recipe
 * @param {string} tiff
 */
function makeSlideTiff(dir, recipe, tiff) {
  const { width, height } = recipe;
  const v = (/** @type {string} */ name) => join(dir, `${name}.v`);
  const size = [String(width), String(height)];
  run('vips', ['worley', v('cells'), ...size, '--cell-size', '40', '--seed', '7']);
  run('vips', ['perlin', v('holes'), ...size, '--cell-size', '1024', '--seed', '11']);
  run('vips', ['perlin', v('grain'), ...size, '--cell-size', '24', '--seed', '13']);
  // Distance to the nearest cell centre: 0 (nucleus centre) .. 255 (>= 14 px away).
  run('vips', ['linear', v('cells'), v('nuclei'), '18', '0', '--uchar']);
  // A leading space keeps vips from reading a negative number as an option.
  run('vips', ['linear', v('holes'), v('white'), '700', ' -250', '--uchar']);
  run('vips', ['linear', v('grain'), v('grain14'), '14', '0']);
  run('vips', ['add', v('grain14'), v('white'), v('offset')]);
  // vips splits an image array at spaces: bare names in `dir`, so a path with a space still works.
  run('vips', ['bandjoin', 'nuclei.v nuclei.v nuclei.v', 'nuclei3.v'], dir);
  // Purple (80,50,140) at a nucleus centre to pink (230,150,200) in the stroma.
  run('vips', ['linear', v('nuclei3'), v('stain'), '0.59 0.39 0.24', '80 50 140']);
  run('vips', ['add', v('stain'), v('offset'), v('sum')]);
  run('vips', ['cast', v('sum'), v('rgb'), 'uchar']);
  run('vips', [
    'tiffsave',
    v('rgb'),
    tiff,
    '--tile',
    '--pyramid',
    '--compression',
    'jpeg',
    '--Q',
    String(recipe.jpegQuality),
    '--tile-width',
    '256',
    '--tile-height',
    '256',
  ]);
}

/**
 * Reads the written instances (header only) and groups them into levels, largest first.
 * @param {Recipe} recipe
 * @param {string} dir
 * @returns {SampleSlide}
 */
function describeSlide(recipe, dir) {
  const files = readdirSync(dir)
    .filter((file) => file.endsWith('.dcm'))
    .toSorted()
    .map((file) => join(dir, file));
  if (files.length === 0) throw new Error(`OrthancWSIDicomizer wrote no .dcm file in ${dir}`);
  /** @type {Map<string, SampleLevel>} */
  const levels = new Map();
  let studyInstanceUid = '';
  let seriesInstanceUid = '';
  let transferSyntaxUid = '';
  for (const file of files) {
    const bytes = readFileSync(file);
    const ds = dicomParser.parseDicom(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
      untilTag: 'x7fe00010',
    });
    const text = (/** @type {string} */ tag) => {
      const value = ds.string(tag);
      if (value === undefined || value === '') throw new Error(`${file} has no ${tag}`);
      return value;
    };
    studyInstanceUid = text('x0020000d');
    seriesInstanceUid = text('x0020000e');
    transferSyntaxUid = text('x00020010');
    const width = ds.uint32('x00480006') ?? 0;
    const height = ds.uint32('x00480007') ?? 0;
    const key = `${width}x${height}`;
    let level = levels.get(key);
    if (level === undefined) {
      level = {
        width,
        height,
        tileWidth: ds.uint16('x00280011') ?? 0,
        tileHeight: ds.uint16('x00280010') ?? 0,
        frameCount: 0,
        instances: [],
      };
      levels.set(key, level);
    }
    const frameCount = Number(ds.string('x00280008') ?? '1');
    level.frameCount += frameCount;
    level.instances.push({
      sopInstanceUid: text('x00080018'),
      file,
      frameCount,
      frameOffset: ds.uint32('x00209228') ?? 0,
      transferSyntaxUid,
      sizeBytes: bytes.byteLength,
    });
  }
  const sortedLevels = [...levels.values()].toSorted((a, b) => b.width - a.width);
  for (const level of sortedLevels) level.instances = level.instances.toSorted((a, b) => a.frameOffset - b.frameOffset);
  return {
    name: recipe.name,
    description: recipe.description,
    dir,
    files,
    studyInstanceUid,
    seriesInstanceUid,
    transferSyntaxUid,
    width: sortedLevels[0]?.width ?? 0,
    height: sortedLevels[0]?.height ?? 0,
    levels: sortedLevels,
  };
}

/**
 * Removes the work directories of generations whose process died (killed mid-way). Called holding
 * LOCK_DIR only, so no other process is making samples meanwhile.
 */
function removeStaleWorkDirs() {
  if (!existsSync(SLIDES_DIR)) return;
  for (const name of readdirSync(SLIDES_DIR)) {
    const pid = Number(/^\.tmp-.+-(\d+)$/.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    if (!isProcessAlive(pid)) rmSync(join(SLIDES_DIR, name), { recursive: true, force: true });
  }
}

/**
 * @param {Partial<SampleSlidesManifest['slides']>} slides
 * @returns {SampleSlidesManifest}
 */
function inRecipeOrder(slides) {
  const ordered = RECIPES.flatMap((recipe) => {
    const slide = slides[recipe.name];
    return slide === undefined ? [] : [[recipe.name, slide]];
  });
  return {
    version: SAMPLE_SLIDES_VERSION,
    slides: /** @type {SampleSlidesManifest['slides']} */ (Object.fromEntries(ordered)),
  };
}

/** @returns {SampleSlidesManifest | undefined} */
function readManifest() {
  if (!existsSync(MANIFEST_FILE)) return undefined;
  try {
    const stored = JSON.parse(readFileSync(MANIFEST_FILE, 'utf8'));
    if (stored.version !== SAMPLE_SLIDES_VERSION) return undefined;
    return mapPaths(stored, (path) => resolve(REPO_ROOT, path));
  } catch {
    return undefined;
  }
}

/** @param {SampleSlidesManifest} manifest */
function writeManifest(manifest) {
  mkdirSync(SLIDES_DIR, { recursive: true });
  const portable = mapPaths(manifest, (path) => relative(REPO_ROOT, path));
  const temp = `${MANIFEST_FILE}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(portable, null, 2)}\n`);
  renameSync(temp, MANIFEST_FILE);
}

/**
 * The manifest on disk holds paths relative to the repository, so a moved clone still works.
 * @param {SampleSlidesManifest} manifest
 * @param {(path: string) => string} map
 * @returns {SampleSlidesManifest}
 */
function mapPaths(manifest, map) {
  /** @type {Record<string, SampleSlide>} */
  const slides = {};
  for (const [name, slide] of Object.entries(manifest.slides)) {
    slides[name] = {
      ...slide,
      dir: map(slide.dir),
      files: slide.files.map(map),
      levels: slide.levels.map((level) => ({
        ...level,
        instances: level.instances.map((instance) => ({ ...instance, file: map(instance.file) })),
      })),
    };
  }
  return { version: manifest.version, slides: /** @type {SampleSlidesManifest['slides']} */ (slides) };
}

/**
 * @param {string} command
 * @param {string[]} args
 * @param {string} [cwd]
 */
function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error !== undefined) {
    throw new Error(
      `${command} could not run (${result.error.message}); is it installed? (apt-get install libvips-tools orthanc-wsi)`,
    );
  }
  if (result.status !== 0) {
    const output = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-20).join('\n');
    throw new Error(`${command} ${args.join(' ')} failed with exit code ${result.status}:\n${output}`);
  }
}

/**
 * @param {(message: string) => void} log
 * @param {string} label
 * @param {() => void} step
 */
function timed(log, label, step) {
  const started = performance.now();
  step();
  log(`${label}: ${seconds(performance.now() - started)}`);
}

/** @param {number} ms */
function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * @param {string} what
 * @param {string} actual
 * @param {string} expected
 */
function expectEqual(what, actual, expected) {
  return actual === expected ? undefined : `${what} ${actual}, expected ${expected}`;
}
