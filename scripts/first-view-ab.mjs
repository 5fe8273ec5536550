// The viewer trace's first view, two builds of the module alternated run by run (issue 11): a
// change's effect on a ~40 ms view is smaller than the spread of three runs on this machine
// (docs/worker-cost.md), so it is measured against the revision before it in the same session,
// each build served by a bench server of its own, every run in a fresh browser context, loopback.
//
//   node scripts/first-view-ab.mjs [--base REV] [--rounds N] [--view I] [--peers LIST]
//   node scripts/first-view-ab.mjs --cold [--base REV] [--rounds N] [--peers LIST]
//   ... [--gzip-off]   Orthanc with HttpCompressionEnabled: false (the bench's second configuration)
//   ... --cold --no-cpu   no CPU snapshots: the clock starts right after the worker answered, as
//       in the full bench (the snapshots' round trip gives a fresh worker a few idle ms)
//   ... --cold [--idle MS]   module peers: the page waits MS after its worker answered before the
//       first tile (readers.ts ReadOptions.idleMs: a viewer opening the slide first); default 0
//
// --base: the revision to compare the working tree with (default HEAD; built from a temporary
// git worktree). --rounds: runs of each peer (default 20). --view: which view of the trace
// (default 0, the first). --peers: a comma list of
//   raw         one request per view, raw fetch from the page (working tree's page)
//   sw          the same requests from a bare SharedWorker
//   sw-frames   the same, with the module's unavoidable work (bench/method.md)
//   base, work  FrameCache default, every tile's getFrame at once, built from --base / the tree
//   base-frames, work-frames   the same, one getFrames call per instance of the view (a base
//               before 7e975ac has no such page: it asks per tile)
//   base-dedicated, work-dedicated   FrameCache { shared: false }
// (default raw,base,work). Prints each peer's median and runs, and its ratio to raw's median.
//
// --cold: the bench's cold level read instead (the 'jpeg' level 0, 768 frames row-major, 16 tiles
// in flight; bench/method.md): as in the bench, one browser context per build (its connections
// stay open) and a new document per run, after one unmeasured round of every peer. Peers: base,
// work, base-dedicated, work-dedicated (as above); raw (the module default's four requests, raw
// fetch, all at once: the bench's floor (e)); raw-lead (the same, the visible one read to its end
// first: (e')); raw-sw-frames (that, through the bare SharedWorker doing the module's unavoidable
// work: (e'')); raw-w-frames (the same worker as a dedicated Worker: the floor of { shared: false });
// dwc (dicomweb-client, 400 frames per request: (b)). --metadata: every peer first reads the
// series' metadata beside its own setup, as a viewer does, outside the clock (the bench does not).
// Prints the read's and the first tile's medians, each request's median times at the bench
// server, and the CPU time every Orthanc and Chromium thread spent from the clock's start to the
// read's end (scripts/lib/process-cpu.mjs; medians per run, renderer threads by name).
// Diagnosis: BENCH_NO_MINIFY=1 builds the pages unminified, BENCH_JS_FLAGS passes V8 flags to
// Chromium, DEBUG=pw:browser prints Chromium's output: e.g. BENCH_JS_FLAGS=--trace-opt lists
// what V8 compiled and how long each took (docs/worker-cost.md, "The cold read's extra CPU").
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBenchPage, launchFreshBrowser } from './bench-browser.mjs';
import { FRAMES_ACCEPT, median } from './bench-runner.mjs';
import { startBenchServer } from './bench-server.mjs';
import { buildViewerTrace } from './bench-trace.mjs';
import { ensureDebianPackages, ensureNpmDeps, REPO_ROOT } from './lib/deps.mjs';
import { startOrthanc, uploadDicomFiles } from './lib/orthanc.mjs';
import { pairedRatio } from './lib/paired-ratio.mjs';
import { cpuDelta, cpuSnapshot } from './lib/process-cpu.mjs';
import { ensureSampleSlides } from './lib/sample-slides.mjs';

const args = process.argv.slice(2);
const value = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] !== undefined ? args[at + 1] : fallback;
};
const base = value('--base', 'HEAD');
const rounds = Number(value('--rounds', '20'));
const viewIndex = Number(value('--view', '0'));
const cold = args.includes('--cold');
const metadataFirst = args.includes('--metadata');
const idleMs = Number(value('--idle', '0'));
// --no-cpu: no CPU snapshots, so nothing runs between the worker's answer and the clock's start
// (the snapshots' round trip to this script gave a fresh worker a few idle ms the full bench,
// which exposes no such hook, does not give it).
const cpuOn = !args.includes('--no-cpu');
if (args.includes('--idle') && (!cold || !Number.isInteger(idleMs) || idleMs < 0))
  throw new Error('--idle takes an integer >= 0, with --cold');
const MODULE = { kind: 'module', options: {} };
/** @type {Record<string, { build: 'base' | 'work', spec: Record<string, unknown> }>} */
const PEERS = {
  raw: { build: 'work', spec: { kind: 'view-raw' } },
  sw: { build: 'work', spec: { kind: 'view-shared-worker' } },
  'sw-frames': { build: 'work', spec: { kind: 'view-shared-worker-frames' } },
  base: { build: 'base', spec: MODULE },
  work: { build: 'work', spec: MODULE },
  'base-frames': { build: 'base', spec: { ...MODULE, perView: true } },
  'work-frames': { build: 'work', spec: { ...MODULE, perView: true } },
  'base-dedicated': { build: 'base', spec: { kind: 'module', options: { shared: false } } },
  'work-dedicated': { build: 'work', spec: { kind: 'module', options: { shared: false } } },
};
/** The cold read's peers besides the module's (readers.ts ReaderSpec; raw requests filled in once the server runs). */
const COLD_PEERS = {
  raw: { build: 'work', spec: { kind: 'raw', concurrency: 4 } },
  'raw-lead': { build: 'work', spec: { kind: 'raw', concurrency: 4, leadAlone: true } },
  'raw-sw-frames': { build: 'work', spec: { kind: 'raw', concurrency: 4, leadAlone: true, workerFrames: 'shared' } },
  'raw-w-frames': {
    build: 'work',
    spec: { kind: 'raw', concurrency: 4, leadAlone: true, workerFrames: 'dedicated' },
  },
  dwc: { build: 'work', spec: { kind: 'dwc-block', framesPerRequest: 400 } },
};
if (cold) {
  for (const name of ['sw', 'sw-frames', 'base-frames', 'work-frames']) delete PEERS[name];
  Object.assign(PEERS, COLD_PEERS);
}
/**
 * The requests the module's default sends on a cold read of a level of `frameCount` frames: the
 * first 16 tiles, then the aligned chunks of 256 (docs/scheduler.md).
 * @param {{ dicomWebUrl: string, studyInstanceUid: string, seriesInstanceUid: string }} series
 * @param {string} sopInstanceUid @param {number} frameCount
 */
function moduleRequests(series, sopInstanceUid, frameCount) {
  const prefix = `${series.dicomWebUrl}/studies/${series.studyInstanceUid}/series/${series.seriesInstanceUid}/instances/${sopInstanceUid}/frames/`;
  const lists = [Array.from({ length: 16 }, (_, i) => i + 1)];
  for (let first = 1; first <= frameCount; first += 256)
    lists.push(Array.from({ length: Math.min(256, frameCount - first + 1) }, (_, i) => first + i));
  return lists.map((list) => ({ url: prefix + list.join(','), accept: FRAMES_ACCEPT }));
}
const peers = value('--peers', 'raw,base,work').split(',');
for (const name of peers) if (!(name in PEERS)) throw new Error(`unknown peer ${name}; one of ${Object.keys(PEERS)}`);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds takes an integer >= 1');

ensureNpmDeps();
ensureDebianPackages();
const scratch = mkdtempSync(join(tmpdir(), 'dwfc-first-view-ab-'));
const worktree = join(scratch, 'base');
/** @type {(() => Promise<unknown> | unknown)[]} */
const cleanups = [() => rmSync(scratch, { recursive: true, force: true })];
try {
  const needsBase = peers.some((name) => PEERS[name]?.build === 'base');
  if (needsBase) {
    execFileSync('git', ['worktree', 'add', '--detach', '--quiet', worktree, base], { cwd: REPO_ROOT });
    cleanups.unshift(() => execFileSync('git', ['worktree', 'remove', '--force', worktree], { cwd: REPO_ROOT }));
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(worktree, 'node_modules'));
  }
  const roots = {
    work: await buildBenchPage({ outDir: join(scratch, 'page-work') }),
    ...(needsBase ? { base: await buildBenchPage({ tree: worktree, outDir: join(scratch, 'page-base') }) } : {}),
  };
  const sample = ensureSampleSlides({ quiet: true }).slides.jpeg;
  const trace = buildViewerTrace(sample.levels);
  const orthanc = await startOrthanc({ compression: !args.includes('--gzip-off'), maximumStorageCacheSizeMb: 1024 });
  cleanups.unshift(() => orthanc.stop());
  await uploadDicomFiles(orthanc, sample.files);
  /** @type {Record<string, Awaited<ReturnType<typeof startBenchServer>>>} */
  const servers = {};
  for (const [build, root] of Object.entries(roots)) {
    const server = await startBenchServer({ root });
    cleanups.unshift(() => server.stop());
    server.setTarget(orthanc.url);
    servers[build] = server;
  }
  const browser = await launchFreshBrowser();
  cleanups.unshift(() => browser.close());
  const options = { pauseMs: 150, tileConcurrency: 16 };
  /** @type {Record<string, Awaited<ReturnType<typeof browser.fresh>>>} */
  const coldHandles = {};
  /** @type {ReturnType<typeof cpuSnapshot> | undefined} CPU times when the current run's clock started */
  let cpuAtStart;
  /** @type {ReturnType<typeof cpuSnapshot> | undefined} and when it stopped, before the reader closed anything */
  let cpuAtEnd;
  /** @param {{ build: 'base' | 'work', spec: Record<string, unknown> }} peer */
  const once = async (peer) => {
    const server = /** @type {(typeof servers)[string]} */ (servers[peer.build]);
    const series = {
      studyInstanceUid: sample.studyInstanceUid,
      seriesInstanceUid: sample.seriesInstanceUid,
      dicomWebUrl: `${server.url}/dicom-web`,
    };
    if (cold) {
      // As the bench's cold read: one context per build (its connections stay open), a new
      // document per run (a new worker that has learned nothing).
      let handle = coldHandles[peer.build];
      if (handle === undefined) {
        handle = coldHandles[peer.build] = await browser.fresh(`${server.url}/`);
        if (cpuOn) {
          // readers.ts calls it (awaited) just before its clock starts.
          await handle.page.exposeFunction('benchClockStarts', () => {
            cpuAtStart = cpuSnapshot();
          });
          // Called after the clock stops, before the cache closes: a dedicated worker's thread (and
          // its CPU time) is gone once it closes.
          await handle.page.exposeFunction('benchClockEnds', () => {
            cpuAtEnd = cpuSnapshot();
          });
        }
      }
      await handle.open(`${server.url}/`);
      const level = /** @type {NonNullable<typeof sample.levels[0]>} */ (sample.levels[0]);
      const instance = /** @type {NonNullable<typeof level.instances[0]>} */ (level.instances[0]);
      const frameCount = instance.frameCount;
      const frames = Array.from({ length: frameCount }, (_, i) => i + 1);
      const target = {
        ...series,
        sopInstanceUid: instance.sopInstanceUid,
        frameCount,
        frames,
        concurrency: 16,
        metadataFirst,
      };
      const spec =
        peer.spec.kind === 'raw'
          ? { ...peer.spec, requests: moduleRequests(series, instance.sopInstanceUid, frameCount) }
          : peer.spec;
      server.clearLog();
      cpuAtStart = undefined;
      cpuAtEnd = undefined;
      const readOptions = peer.spec.kind === 'module' && idleMs > 0 ? { idleMs } : {};
      const result = await handle.page.evaluate(
        ([s, t, o]) => globalThis.bench.readLevel(s, t, o),
        [spec, target, readOptions],
      );
      const cpu = cpuAtStart === undefined ? undefined : cpuDelta(cpuAtStart, cpuAtEnd ?? cpuSnapshot());
      if (result.missing !== 0) throw new Error(`${result.missing} frames missing`);
      const entries = server.log.filter((e) => e.path.includes('/instances/'));
      const t0 = Math.min(...entries.map((e) => e.startMs));
      // Each request at the bench server: when it arrived, its first and last answer byte left.
      const requests = entries.map((e) => [e.startMs - t0, e.startMs + e.ttfbMs - t0, e.endMs - t0]);
      return { ms: result.ms, firstMs: result.firstMs, requests, cpu, openMs: result.openMs, setupMs: result.setupMs };
    }
    const handle = await browser.fresh(`${server.url}/`);
    try {
      const result = await handle.page.evaluate(
        ([spec, target, views, opts]) => globalThis.bench.replayTrace(spec, target, views, opts),
        [peer.spec, series, trace.views.slice(0, viewIndex + 1), options],
      );
      return { ms: /** @type {number} */ (result.viewMs[viewIndex]) };
    } finally {
      await handle.close();
    }
  };
  // Unmeasured: Orthanc reads each level's file once (its storage cache).
  // In --cold, one round of every peer, as the bench's warm-up round (its contexts open).
  if (cold) for (const name of peers) await once(/** @type {any} */ (PEERS[name]));
  else await once({ build: 'work', spec: { kind: 'view-raw' } });
  /** @type {Record<string, { ms: number, firstMs?: number, requests?: number[][], cpu?: Record<string, number>, openMs?: number, setupMs?: number }[]>} */
  const runs = Object.fromEntries(peers.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++)
    for (const name of peers) runs[name]?.push(await once(/** @type {any} */ (PEERS[name])));
  const rawMedian = runs['raw'] ? median(runs['raw'].map((r) => r.ms)) : Number.NaN;
  // Round i of every peer ran back to back: the ratio round by round, with its 95% interval
  // (scripts/lib/paired-ratio.mjs), against raw and against the floor peer of the mode.
  const floorPeer = peers.find((name) => name === 'sw-frames' || name === 'raw-sw-frames');
  /** @param {string} name @param {string} against */
  const pairedText = (name, against) => {
    const p = pairedRatio(
      (runs[name] ?? []).map((r) => r.ms),
      (runs[against] ?? []).map((r) => r.ms),
    );
    return Number.isFinite(p.low)
      ? `${p.ratio.toFixed(3)}x ${against} (95% ${p.low.toFixed(3)}-${p.high.toFixed(3)})`
      : '';
  };
  console.log(
    cold
      ? `cold read of the 'jpeg' level 0, ${rounds} runs per peer alternated, a new document each (one context per build), loopback, ${metadataFirst ? 'series metadata read first' : 'no metadata read first'}; base = ${base}`
      : `view ${viewIndex} ('${trace.views[viewIndex]?.label}'), ${rounds} runs per peer alternated, fresh context each, loopback; base = ${base}`,
  );
  for (const name of peers) {
    const list = (runs[name] ?? []).map((r) => r.ms);
    const m = median(list);
    const ratio = Number.isFinite(rawMedian) && name !== 'raw' ? `  ${(m / rawMedian).toFixed(2)}x raw` : '';
    const firsts = (runs[name] ?? []).flatMap((r) => (r.firstMs === undefined ? [] : [r.firstMs]));
    const first = firsts.length > 0 ? `  first tile ${median(firsts).toFixed(1)} ms` : '';
    console.log(
      `${name.padEnd(15)} median ${m.toFixed(1).padStart(6)} ms${ratio}${first}   runs ${list.map((x) => x.toFixed(0)).join(' ')}`,
    );
    const paired = [
      ...(name !== 'raw' && runs['raw'] ? [pairedText(name, 'raw')] : []),
      ...(floorPeer !== undefined && name !== floorPeer && name !== 'raw' ? [pairedText(name, floorPeer)] : []),
      ...(name !== 'raw' && name !== floorPeer && runs['dwc'] && name !== 'dwc' ? [pairedText(name, 'dwc')] : []),
    ].filter((text) => text !== '');
    if (paired.length > 0) console.log(`${''.padEnd(17)}round by round: ${paired.join('; ')}`);
    const setups = (runs[name] ?? []).flatMap((r) => (r.setupMs === undefined ? [] : [r.setupMs]));
    if (setups.length > 0 && median(setups) > 0)
      console.log(`${''.padEnd(17)}setup (worker up, engine built: before the clock) ${median(setups).toFixed(1)} ms`);
    const opens = (runs[name] ?? []).flatMap((r) => (r.openMs === undefined ? [] : [r.openMs]));
    if (opens.length > 0)
      console.log(`${''.padEnd(17)}setup and metadata before the clock: ${median(opens).toFixed(0)} ms`);
    const cpus = (runs[name] ?? []).flatMap((r) => (r.cpu === undefined ? [] : [r.cpu]));
    if (cpus.length > 0) {
      const groups = [...new Set(cpus.flatMap((c) => Object.keys(c)))]
        .map((g) => /** @type {[string, number]} */ ([g, median(cpus.map((c) => c[g] ?? 0))]))
        .filter(([, ms]) => ms >= 0.5)
        .sort((a, b) => b[1] - a[1]);
      const total = median(cpus.map((c) => Object.values(c).reduce((a, b) => a + b, 0)));
      console.log(
        `${''.padEnd(17)}CPU ms during the read: total ${total.toFixed(0)}; ${groups.map(([g, ms]) => `${g} ${ms.toFixed(1)}`).join(', ')}`,
      );
    }
    // --cold: the server's side, request by request in the order they arrived (the i-th to arrive,
    // not the same request in every run), medians over the runs of the most frequent count.
    const timelines = (runs[name] ?? []).flatMap((r) => (r.requests === undefined ? [] : [r.requests]));
    const tally = new Map();
    for (const t of timelines) tally.set(t.length, (tally.get(t.length) ?? 0) + 1);
    const count = [...tally].sort((a, b) => b[1] - a[1])[0]?.[0];
    const same = timelines.filter((t) => t.length === count);
    if (same.length < timelines.length)
      console.log(`${''.padEnd(17)}(${timelines.length - same.length} runs sent another number of requests)`);
    for (let i = 0; i < (same[0]?.length ?? 0); i++) {
      const at = (/** @type {number} */ k) => median(same.map((t) => t[i]?.[k] ?? Number.NaN)).toFixed(0);
      console.log(`${''.padEnd(17)}request ${i + 1}: in +${at(0)}, first byte out +${at(1)}, last +${at(2)} ms`);
    }
  }
} finally {
  for (const cleanup of cleanups) {
    try {
      await cleanup();
    } catch (error) {
      console.error(`cleanup: ${String(error)}`);
    }
  }
}
