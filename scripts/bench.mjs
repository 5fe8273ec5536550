// `npm run bench`: this module against the viewers it replaces, side by side in one run (issue 6),
// and `npm run bench:hits` (`--only hits`, issue 4). Installs what is missing like `npm test`,
// makes the sample and synthetic slides once (git-ignored .data/), starts Orthanc twice (default
// settings, then HttpCompressionEnabled: false), serves the bench page and the DICOMweb proxy
// from one origin, drives headless Chromium, prints a table and writes bench/results.json.
//
//   node scripts/bench.mjs [--quick] [--runs N] [--only cold,reload,trace,scale,hits,parse]
//                          [--config on|off|both] [--profiles loopback,20ms-200mbit,80ms-40mbit]
//                          [--pause MS] [--out FILE]
//   node scripts/bench.mjs --report [FILE]    prints the table of a results file again
//   node scripts/bench-docs.mjs [FILE]        writes docs/benchmarks.md and the bench block of README.md
// `trace` is the viewer trace on every link profile (scripts/bench-links.mjs), under the first
// Orthanc configuration only.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { DEBIAN_PACKAGES, REPO_ROOT, ensureDebianPackages, ensureNpmDeps } from './lib/deps.mjs';

const SECTIONS = ['cold', 'reload', 'trace', 'scale', 'hits', 'parse', 'decode', 'sw', 'shared'];
/**
 * Companion benches, each its own script with its own Orthanc and results file, run after the
 * sections above: decoding per syntax (docs/decoding.md), the Service Worker in front of a
 * per-tile client and dicom-microscopy-viewer (docs/service-worker.md), ten viewers through a
 * shared nginx cache (docs/http-caching.md, its table regenerated).
 */
const COMPANIONS = {
  decode: { script: 'bench-decode.mjs', args: [], results: '.data/bench/decode-results.json' },
  sw: { script: 'bench-service-worker.mjs', args: [], results: '.artifacts/bench-sw.json' },
  shared: { script: 'bench-shared-cache.mjs', args: ['--write-docs'], results: 'bench/shared-results.json' },
};
const PROFILES = ['loopback', '20ms-200mbit', '80ms-40mbit'];
const USAGE =
  'usage: node scripts/bench.mjs [--quick] [--runs N] [--only cold,reload,trace,scale,hits,parse,decode,sw,shared] [--config on|off|both]\n' +
  '                              [--profiles loopback,20ms-200mbit,80ms-40mbit] [--pause MS] [--out FILE]\n' +
  '       node scripts/bench.mjs --report [FILE]   (the table of a results file, default bench/results.json)';

function parseArgs(argv) {
  const options = {
    quick: false,
    runs: 0,
    only: new Set(SECTIONS),
    configs: ['on', 'off'],
    profiles: PROFILES,
    pauseMs: -1,
    out: join(REPO_ROOT, 'bench', 'results.json'),
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      return next;
    };
    if (arg === '--quick') options.quick = true;
    else if (arg === '--runs') options.runs = Number(value());
    else if (arg === '--only') options.only = new Set(value().split(','));
    else if (arg === '--config') {
      const config = value();
      options.configs = config === 'both' ? ['on', 'off'] : [config];
    } else if (arg === '--profiles') options.profiles = value().split(',');
    else if (arg === '--pause') options.pauseMs = Number(value());
    else if (arg === '--out') options.out = value();
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  for (const section of options.only)
    if (!SECTIONS.includes(section)) throw new Error(`unknown section ${section}\n${USAGE}`);
  for (const profile of options.profiles)
    if (!PROFILES.includes(profile)) throw new Error(`unknown profile ${profile}\n${USAGE}`);
  if (options.pauseMs !== -1 && !(Number.isFinite(options.pauseMs) && options.pauseMs >= 0))
    throw new Error(`--pause takes a number of ms >= 0\n${USAGE}`);
  for (const config of options.configs)
    if (config !== 'on' && config !== 'off') throw new Error(`--config is on, off or both\n${USAGE}`);
  if (!Number.isInteger(options.runs) || options.runs < 0) throw new Error(`--runs takes an integer >= 1\n${USAGE}`);
  if (options.runs === 0) options.runs = options.quick ? 2 : 5;
  return options;
}

if (process.argv[2] === '--report') {
  const { formatReport } = await import('./bench-report.mjs');
  const file = process.argv[3] ?? join(REPO_ROOT, 'bench', 'results.json');
  console.log(formatReport(JSON.parse(readFileSync(file, 'utf8'))));
  process.exit(0);
}

const started = performance.now();
const log = (/** @type {string} */ message) =>
  console.log(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${message}`);

let options;
try {
  options = parseArgs(process.argv.slice(2));
} catch (error) {
  console.error(String(error instanceof Error ? error.message : error));
  process.exit(2);
}
const browserSections = ['cold', 'reload', 'trace', 'scale', 'hits'].filter((s) => options.only.has(s));
ensureNpmDeps();
if (browserSections.length > 0) ensureDebianPackages(DEBIAN_PACKAGES);

/** @type {Array<() => Promise<unknown>>} cleanups, last first */
const cleanups = [];
let cleaning;
const cleanup = () => {
  cleaning ??= (async () => {
    for (const step of cleanups.toReversed()) await step().catch(() => undefined);
  })();
  return cleaning;
};
let interrupted = false;
// `on`, not `once`: orthanc.mjs re-raises the signal (ending the process at once) when no other
// listener is left, which would cut the cleanup short.
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n[bench] ${signal}: stopping Chromium, servers and Orthanc; no results written`);
    void cleanup().finally(() => process.exit(130));
  });
}

/** @type {Record<string, any>} */
const results = {
  date: new Date().toISOString(),
  quick: options.quick,
  runs: options.runs,
  // What ran: a "full" run (every section, both configs, every profile) is what docs are made from.
  sections: [...options.only],
  full:
    !options.quick &&
    SECTIONS.every((s) => options.only.has(s)) &&
    options.configs.length === 2 &&
    options.profiles.length === PROFILES.length,
  command: `node scripts/bench.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  machine: machineInfo(),
  configs: {},
};
let exitCode = 0;
try {
  if (browserSections.length > 0) await runBrowserSections();
  if (interrupted) throw new Error('interrupted');
  if (options.only.has('parse')) results.parse = runParseBenches();
  for (const [name, companion] of Object.entries(COMPANIONS)) {
    if (!options.only.has(name) || interrupted) continue;
    log(`companion bench ${name}: node scripts/${companion.script} ${companion.args.join(' ')}`.trim());
    const run = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', companion.script), ...companion.args], {
      cwd: REPO_ROOT,
      stdio: 'inherit',
    });
    (results.companions ??= {})[name] = {
      command: `node scripts/${companion.script} ${companion.args.join(' ')}`.trim(),
      exitCode: run.status,
      results: companion.results,
    };
    if (run.status !== 0) log(`companion bench ${name} failed (exit ${run.status}); the other results stand`);
  }
  results.machine.loadEnd = os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
  results.durationS = Math.round((performance.now() - started) / 1000);
  const { formatReport } = await import('./bench-report.mjs');
  const { evaluateGoals } = await import('./bench-goals.mjs');
  results.goals = evaluateGoals(results);
  writeFileSync(options.out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\n${formatReport(results)}\n`);
  log(`results written to ${options.out}`);
} catch (error) {
  if (!interrupted)
    console.error(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  exitCode = interrupted ? 130 : 1;
} finally {
  await cleanup();
}
process.exit(exitCode);

async function runBrowserSections() {
  const { ensureSampleSlides } = await import('./lib/sample-slides.mjs');
  const { startOrthanc, uploadDicomFiles } = await import('./lib/orthanc.mjs');
  const { ensureBenchSlides } = await import('./bench-slides.mjs');
  const { buildBenchPage, launchChromium, launchFreshBrowser } = await import('./bench-browser.mjs');
  const { startBenchServer } = await import('./bench-server.mjs');
  const { buildViewerTrace } = await import('./bench-trace.mjs');
  const scenarios = await import('./bench-scenarios.mjs');
  const { linkTraces, DEFAULT_PAUSE_MS } = await import('./bench-links.mjs');

  const needsSample = ['cold', 'reload', 'trace'].some((s) => options.only.has(s));
  const needsSynthetic = options.only.has('scale') || options.only.has('hits');
  const sample = needsSample ? ensureSampleSlides().slides.jpeg : undefined;
  const synthetic = needsSynthetic ? ensureBenchSlides({ log: (m) => log(`synthetic ${m}`) }) : undefined;
  log('building the bench page (vite)');
  const root = await buildBenchPage();
  const server = await startBenchServer({ root });
  cleanups.push(() => server.stop());
  const browser = await launchChromium();
  cleanups.push(() => browser.close());
  const pageUrl = `${server.url}/`;
  results.machine.chromium =
    (await browser.page.evaluate(() => navigator.userAgent)).match(/Chrome\/([\d.]+)/)?.[1] ?? '?';
  const ctx = {
    browser,
    server,
    pageUrl,
    runs: options.runs,
    quick: options.quick,
    log,
    get interrupted() {
      return interrupted;
    },
  };

  const level0 = sample?.levels[0];
  const base = level0?.instances[0];
  if (sample && level0 && base) {
    results.level = {
      description: `'jpeg' sample level 0 (${level0.width}x${level0.height}, ${level0.frameCount} frames of ${level0.tileWidth}x${level0.tileHeight} JPEG, ${(base.sizeBytes / 1e6).toFixed(1)} MB instance)`,
      frameCount: level0.frameCount,
    };
  }
  const trace = sample ? buildViewerTrace(sample.levels) : undefined;
  if (trace)
    results.trace = {
      views: trace.views.length,
      tiles: trace.tiles,
      distinctTiles: trace.distinctTiles,
      labels: trace.views.map((v) => `${v.label}: ${v.tiles.length}`),
    };

  // The trace and the hit path run under the first configuration only.
  const configs = browserSections.some((s) => s !== 'hits' && s !== 'trace')
    ? options.configs
    : [options.configs[0] ?? 'on'];
  for (const [index, config] of configs.entries()) {
    log(`Orthanc ${config === 'on' ? 'with default settings (gzip on)' : 'with HttpCompressionEnabled: false'}`);
    const orthanc = await startOrthanc({ compression: config === 'on', maximumStorageCacheSizeMb: 1024 });
    cleanups.push(() => orthanc.stop());
    try {
      const files = [...(sample?.files ?? []), ...Object.values(synthetic?.instances ?? {}).map((i) => i.file)];
      await uploadDicomFiles(orthanc, files);
      if (index === 0) Object.assign(results.machine, await orthancInfo(orthanc.url));
      server.setTarget(orthanc.url);
      await browser.open(pageUrl);
      results.isolated = await browser.page.evaluate(() => globalThis.bench.isolated());
      const dicomWebUrl = `${server.url}/dicom-web`;
      /** @type {Record<string, any>} */
      const data = {};
      results.configs[config] = data;
      if (sample && base) {
        const series = {
          dicomWebUrl,
          studyInstanceUid: sample.studyInstanceUid,
          seriesInstanceUid: sample.seriesInstanceUid,
        };
        const instance = { sopInstanceUid: base.sopInstanceUid, frameCount: base.frameCount };
        if (options.only.has('cold')) {
          results.coldRuns = scenarios.coldRuns(ctx);
          results.coldFocus = { runs: scenarios.coldFocusRuns(ctx), peers: scenarios.COLD_FOCUS.peers };
          log(
            `cold read of ${base.frameCount} frames: ${results.coldRuns} runs + warm-up (${scenarios.COLD_FOCUS.peers.join(', ')}: ${results.coldFocus.runs}), peers in a shuffled order per round`,
          );
          data.cold = await scenarios.coldLevel(ctx, series, instance);
        }
        if (options.only.has('reload')) {
          log('reload from IndexedDB');
          data.reload = await scenarios.reloadLevel(ctx, series, instance, pageUrl);
          await browser.open(pageUrl);
        }
        if (options.only.has('trace') && trace && index === 0) {
          const pauseMs = options.pauseMs === -1 ? DEFAULT_PAUSE_MS : options.pauseMs;
          const runs = scenarios.fewRuns(options);
          log(
            `viewer trace: ${trace.views.length} views, ${trace.tiles} tiles, ${pauseMs} ms pauses; profiles ${options.profiles.join(', ')}`,
          );
          const fresh = await launchFreshBrowser();
          cleanups.push(() => fresh.close());
          try {
            results.links = {
              config,
              ...(await linkTraces(ctx, fresh, series, trace.views, {
                profiles: options.profiles,
                runs,
                pauseMs,
                ...(options.quick ? { firstViewRuns: 0, focus: { runs: 0, profiles: [], peers: [] } } : {}),
              })),
            };
          } finally {
            await fresh.close();
            const errors = fresh.consoleErrors.splice(0).filter((e) => !/favicon/.test(e));
            if (errors.length > 0) results.links = { ...results.links, consoleErrors: errors.slice(0, 20) };
          }
        }
      }
      if (synthetic) {
        const series = {
          dicomWebUrl,
          studyInstanceUid: synthetic.studyInstanceUid,
          seriesInstanceUid: synthetic.seriesInstanceUid,
        };
        if (options.only.has('hits') && index === 0) {
          log('hit path (bench:hits)');
          const hits = /** @type {any} */ (synthetic.instances['hits-64k']);
          results.hits = await scenarios.hitPath(ctx, series, {
            sopInstanceUid: hits.sopInstanceUid,
            frameCount: hits.frameCount,
          });
        }
        if (options.only.has('scale')) {
          log('scale: synthetic levels of ~1k, ~10k and ~50k frames');
          const levels = ['scale-1k', 'scale-10k', 'scale-50k'].map((name) => ({
            name,
            .../** @type {any} */ (synthetic.instances[name]),
          }));
          data.scale = await scenarios.scaleLevels(ctx, series, levels, { slowDefault: index === configs.length - 1 });
        }
      }
      const errors = browser.consoleErrors.splice(0).filter((e) => !/favicon/.test(e));
      if (errors.length > 0) data.consoleErrors = errors.slice(0, 20);
    } finally {
      await orthanc.stop();
    }
  }
}

function runParseBenches() {
  log('parsers (bench:parse)');
  const dir = mkdtempSync(join(os.tmpdir(), 'dwfc-bench-parse-'));
  /** @type {Record<string, any>} */
  const out = {};
  try {
    for (const name of ['parse-part10', 'parse-multipart']) {
      const file = join(dir, `${name}.json`);
      const run = spawnSync(
        process.execPath,
        [join(REPO_ROOT, 'scripts', 'run-ts.mjs'), join(REPO_ROOT, 'bench', `${name}.ts`)],
        {
          cwd: REPO_ROOT,
          env: { ...process.env, BENCH_JSON: file },
          encoding: 'utf8',
          timeout: 300_000,
        },
      );
      if (run.status !== 0) {
        out[name] = {
          error: `exit ${run.status ?? run.signal}: ${(run.stderr || run.stdout).trim().split('\n').slice(-3).join(' ')}`,
        };
        continue;
      }
      out[name] = JSON.parse(readFileSync(file, 'utf8'));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

function machineInfo() {
  const cpus = os.cpus();
  let osName = `${os.type()} ${os.release()}`;
  try {
    osName = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? osName;
  } catch {
    // not Linux
  }
  return {
    cpu: cpus[0]?.model.trim() ?? '?',
    cores: cpus.length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    os: osName,
    node: process.version,
    loadStart: os
      .loadavg()
      .map((v) => v.toFixed(2))
      .join(' '),
  };
}

/** @param {string} url */
async function orthancInfo(url) {
  const get = async (/** @type {string} */ path) => {
    const response = await fetch(`${url}${path}`);
    return response.ok ? /** @type {Record<string, any>} */ (await response.json()) : {};
  };
  const [system, dicomweb] = await Promise.all([get('/system'), get('/plugins/dicom-web')]);
  return { orthanc: system['Version'] ?? '?', dicomweb: dicomweb['Version'] ?? '?' };
}
