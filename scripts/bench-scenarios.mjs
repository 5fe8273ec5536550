// The scenarios of `npm run bench` (issue 6) and `npm run bench:hits` (issue 4); the viewer trace
// on emulated links is scripts/bench-links.mjs. Each returns plain data for bench/results.json;
// bench-report.mjs turns it into tables, bench-goals.mjs into the goals.
import { hitRatio } from './bench-goals.mjs';
import { FRAMES_ACCEPT, callPage, floorOf, medianOf, readOnce, roundRobin } from './bench-runner.mjs';

const VIEWER_CONCURRENCY = 16;
const SPILL_DB = 'dwfc-bench';
/** Forces whole-instance mode whatever the frame count. */
const WHOLE = { wholeInstanceMaxFrames: 1e9 };
const BLOCK = { wholeInstanceMaxFrames: 0 };

/**
 * @typedef {import('./bench-runner.mjs').Context} Context
 * @typedef {import('./bench-runner.mjs').Peer} Peer
 * @typedef {import('./bench-runner.mjs').PeerResult} PeerResult
 * @typedef {{ dicomWebUrl: string, studyInstanceUid: string, seriesInstanceUid: string }} Series
 * @typedef {{ sopInstanceUid: string, frameCount: number }} Instance
 */

/**
 * Measured runs of each cold-read peer in a full run (5 before 2026-12-05: a median of 5 moved
 * by 10-40% between full runs on this 2-core machine, where single runs spread 1.5x).
 */
export const COLD_RUNS = 11;
/**
 * The cold-read goals' peers and their floors get more runs than the rest (since 2026-12-06):
 * with 11 a goal's ratio round by round had a 95% interval of 1.05-1.42x around a 1.2x limit
 * (docs/benchmarks.md, "Intervals"); ~1 min more per Orthanc configuration.
 */
export const COLD_FOCUS = Object.freeze({
  runs: 21,
  peers: Object.freeze(['default', 'e-default', 'e-sw-frames', 'b']),
});
/** Runs of a cold-read goal's peers (COLD_FOCUS): none more with --quick. */
export function coldFocusRuns(/** @type {Context} */ ctx) {
  return ctx.quick ? coldRuns(ctx) : Math.max(coldRuns(ctx), COLD_FOCUS.runs);
}
/** The per-tile peer (a) of the cold read: ~7 s a run, against ~0.1 s for the others. */
export const PER_TILE_RUNS = 3;

/** Runs of the reload, the scale levels and the viewer trace: at most 3 (1 with --quick). */
export function fewRuns(/** @type {{ quick: boolean, runs: number }} */ ctx) {
  return ctx.quick ? 1 : Math.min(3, ctx.runs);
}

/** Runs of the cold read: `--runs` where given above COLD_RUNS or with --quick, else COLD_RUNS. */
export function coldRuns(/** @type {Context} */ ctx) {
  return ctx.quick ? ctx.runs : Math.max(ctx.runs, COLD_RUNS);
}

/** @param {Series} series @param {Instance} instance */
function levelTarget(series, instance) {
  const frames = Array.from({ length: instance.frameCount }, (_, i) => i + 1);
  return { ...series, ...instance, frames, concurrency: VIEWER_CONCURRENCY };
}

/** @param {Context} ctx @param {Series} series @param {Instance} instance */
function framesUrl(ctx, series, instance) {
  const path = new URL(series.dicomWebUrl).pathname;
  return `${ctx.server.url}${path}/studies/${series.studyInstanceUid}/series/${series.seriesInstanceUid}/instances/${instance.sopInstanceUid}/frames`;
}

/**
 * Issue 6 items 1-3: the cold read of a level (row-major, 16 tiles in flight) by every peer,
 * time to the first tile (also with hint 'minimize-latency' and against one single-frame
 * request), and the same read again from memory (module peers, `warmMs`).
 * @param {Context} ctx
 * @param {Series} series
 * @param {Instance} instance
 */
export async function coldLevel(ctx, series, instance) {
  /** (e') through a bare worker doing the module's unavoidable work (readers.ts `workerFrames`). */
  const workerFloor =
    (/** @type {'shared' | 'dedicated'} */ kind) => (/** @type {Record<string, PeerResult>} */ results) => ({
      ...floorOf(ctx, 'default', instance.frameCount, undefined, { leadAlone: true })(results),
      workerFrames: kind,
    });
  /** @type {Peer[]} */
  const peers = [
    {
      key: 'a',
      label: '(a) dicomweb-client, 1 tile per request',
      spec: { kind: 'dwc-tile' },
      // ~7 s a run, against ~0.1 s for the others: its ratio is no goal's.
      maxRuns: PER_TILE_RUNS,
    },
    {
      key: 'b',
      label: '(b) dicomweb-client, 400 frames per request',
      spec: { kind: 'dwc-block', framesPerRequest: 400 },
    },
    {
      key: 'default',
      label: 'module, default configuration',
      spec: { kind: 'module', options: {} },
      options: { warm: true },
    },
    {
      key: 'default-learned',
      label: 'default, 3rd read of the session (learner primed)',
      spec: { kind: 'module', options: {} },
      options: { warm: true },
      prime: 2,
    },
    {
      key: 'c',
      label: '(c) module, whole-instance mode',
      spec: { kind: 'module', options: WHOLE },
      options: { warm: true },
    },
    {
      key: 'd',
      label: '(d) module, block mode',
      spec: { kind: 'module', options: BLOCK },
      options: { warm: true },
    },
    {
      key: 'dedicated',
      label: 'default + { shared: false } (dedicated Worker)',
      spec: { kind: 'module', options: { shared: false } },
      options: { warm: true },
    },
    {
      key: 'c-latency',
      label: "(c) + hint 'minimize-latency'",
      spec: { kind: 'module', options: WHOLE, hint: 'minimize-latency' },
    },
    {
      key: 'd-latency',
      label: "(d) + hint 'minimize-latency'",
      spec: { kind: 'module', options: BLOCK, hint: 'minimize-latency' },
    },
    {
      key: 'default-latency',
      label: "default + hint 'minimize-latency'",
      spec: { kind: 'module', options: {}, hint: 'minimize-latency' },
    },
    {
      key: 'e-default',
      label: '(e) floor: raw fetch, requests of the default run',
      spec: floorOf(ctx, 'default', instance.frameCount),
    },
    {
      key: 'e-visible-first',
      label: "(e') visible first: raw fetch, requests of the default run, the first read to its end, then the rest",
      spec: floorOf(ctx, 'default', instance.frameCount, undefined, { leadAlone: true }),
    },
    {
      key: 'e-sw-frames',
      label: "(e'') the same, through a bare SharedWorker doing the module's unavoidable work",
      spec: workerFloor('shared'),
    },
    {
      key: 'e-w-frames',
      label: "(e''') the same through a bare dedicated Worker (the floor of { shared: false })",
      spec: workerFloor('dedicated'),
    },
    {
      key: 'e-learned',
      label: '(e) floor: raw fetch, requests of the 3rd read',
      spec: floorOf(ctx, 'default-learned', instance.frameCount),
    },
    { key: 'e-c', label: '(e) floor: raw fetch, requests of (c)', spec: floorOf(ctx, 'c', instance.frameCount) },
    { key: 'e-d', label: '(e) floor: raw fetch, requests of (d)', spec: floorOf(ctx, 'd', instance.frameCount) },
    {
      key: 'single',
      label: 'one single-frame request (raw fetch of frame 1)',
      spec: {
        kind: 'raw',
        concurrency: 1,
        requests: [{ url: `${framesUrl(ctx, series, instance)}/1`, accept: FRAMES_ACCEPT }],
      },
    },
  ];
  // Every peer COLD_RUNS times, the goals' peers and floors (COLD_FOCUS) on to coldFocusRuns.
  const runs = coldRuns(ctx);
  for (const peer of peers)
    if (!COLD_FOCUS.peers.includes(peer.key)) peer.maxRuns = Math.min(peer.maxRuns ?? runs, runs);
  // Every peer reads in a new document, as the module's fresh runs must (a new SharedWorker) and
  // as `npm run bench:first-view -- --cold` and the trace do: a page just loaded keeps its
  // renderer busy for ~300 ms and every client reads slower in it (docs/worker-cost.md, "The
  // first view right after the worker starts"), so a floor read in a page that had settled was
  // compared with a module read in one that had not (bench/method.md, "Every cold read in a new
  // document"). The primed peer opens its own.
  for (const peer of peers) if ((peer.prime ?? 0) === 0) peer.fresh = true;
  return roundRobin(ctx, peers, levelTarget(series, instance), { runs: coldFocusRuns(ctx) });
}

/**
 * Issue 6 item 3: after a "page reload" (a new document, same origin and profile, spill on),
 * the level again from IndexedDB. Per run: fresh database, cold read with spill (written
 * behind, flushed), reload, read again; the server log counts the frame requests.
 * @param {Context} ctx
 * @param {Series} series
 * @param {Instance} instance
 * @param {string} pageUrl
 */
export async function reloadLevel(ctx, series, instance, pageUrl) {
  const target = levelTarget(series, instance);
  const modes = [
    { key: 'default', label: 'module, default configuration', options: {} },
    { key: 'c', label: '(c) whole-instance mode', options: WHOLE },
    { key: 'd', label: '(d) block mode', options: BLOCK },
  ];
  const runs = fewRuns(ctx);
  /** @type {Record<string, any>} */
  const out = {};
  for (const mode of modes) out[mode.key] = { label: mode.label, runs: [] };
  for (let round = 0; round < runs; round++) {
    for (const mode of modes) {
      const record = out[mode.key];
      if (record.error !== undefined) continue;
      const spec = { kind: 'module', options: { ...mode.options, spill: { dbName: SPILL_DB } } };
      try {
        await ctx.browser.open(pageUrl);
        await callPage(ctx, (name) => globalThis.bench.deleteDatabase(name), SPILL_DB);
        const cold = await readOnce(ctx, spec, target, { flush: true });
        await ctx.browser.open(pageUrl); // the reload: a new document of the same origin
        const reload = await readOnce(ctx, spec, target, { flush: true });
        // The same records read back raw (after the module closed): the floor of a reload.
        const floor = await callPage(ctx, (name) => globalThis.bench.readIdbFloor(name), SPILL_DB);
        record.runs.push({
          coldSpillMs: cold.ms,
          ms: reload.ms,
          firstMs: reload.firstMs,
          requests: reload.requests,
          frameRequests: reload.frameRequests,
          missing: reload.missing,
          spillHits: reload.stats?.spillHits ?? Number.NaN,
          idbRecords: floor.records,
          idbGetAllMs: floor.getAllMs,
          idbGetEachMs: floor.getEachMs,
        });
      } catch (error) {
        if (ctx.interrupted === true) throw error;
        record.error = String(error instanceof Error ? error.message : error).split('\n')[0];
        ctx.log(`  reload ${mode.key} failed: ${record.error}`);
      }
    }
  }
  await ctx.browser.open(pageUrl);
  await ctx.browser.page.evaluate((name) => globalThis.bench.deleteDatabase(name), SPILL_DB).catch(() => undefined);
  for (const record of Object.values(out)) record.median = medianOf(record.runs);
  return out;
}

/**
 * Issue 6 item 5: cold read cost per frame on synthetic levels of ~1k, ~10k and ~50k frames
 * (one instance each), row-major with 16 tiles in flight, default configuration and
 * whole-instance mode, each beside its floor. The default read of the ~50k level is the longest
 * part of the bench (Orthanc parses the whole 105 MB file for every frames request, and that
 * answer does not depend on the gzip setting: frame lists are never compressed), so it runs only
 * when `slowDefault` is set (once per bench run), and its floor replays a sample of its requests.
 * @param {Context} ctx
 * @param {Series} series
 * @param {{ name: string, sopInstanceUid: string, frameCount: number }[]} levels
 * @param {{ slowDefault: boolean }} plan
 */
export async function scaleLevels(ctx, series, levels, { slowDefault }) {
  /** @type {Record<string, any>} */
  const out = {};
  for (const level of levels) {
    const big = level.frameCount > 20_000;
    const runs = big ? 1 : fewRuns(ctx);
    /** @type {Peer[]} */
    const peers = [
      { key: 'c', label: '(c) module, whole-instance mode', spec: { kind: 'module', options: WHOLE }, fresh: true },
      { key: 'e-c', label: '(e) floor: raw fetch, requests of (c)', spec: floorOf(ctx, 'c', level.frameCount) },
    ];
    if (!big || slowDefault) {
      peers.push(
        { key: 'default', label: 'module, default configuration', spec: { kind: 'module', options: {} }, fresh: true },
        {
          key: 'e-default',
          label: '(e) floor: raw fetch, requests of the default run',
          spec: floorOf(ctx, 'default', level.frameCount, big ? 16 : undefined),
        },
      );
    }
    ctx.log(
      `  ${level.name} (${level.frameCount} frames), ${runs} run(s)${big && !slowDefault ? ', whole-instance mode only' : ''}`,
    );
    // No warm-up round for the ~50k level: it would double the longest part of the bench.
    const results = await roundRobin(ctx, peers, levelTarget(series, level), { runs, warmup: !big });
    for (const record of Object.values(results)) {
      const ms = record.median['ms'];
      const frames = record.median['framesCarried'] ?? level.frameCount;
      record.median['usPerFrame'] = Number.isFinite(ms) ? (ms * 1000) / frames : Number.NaN;
      record.sampled = record.runs.some(
        (r) => r['framesCarried'] !== undefined && r['framesCarried'] < level.frameCount,
      );
    }
    out[level.name] = { frameCount: level.frameCount, peers: results };
  }
  return out;
}

/** Runs of the hit path a full bench makes (the median one is reported). */
export const HIT_REPEATS = 3;

/**
 * Issue 4 (`bench:hits`): the hit path, with the default facade options and with a dedicated
 * worker (`shared: false`). A full run measures each HIT_REPEATS times, alternated, each on new
 * workers, and keeps the run whose hit/echo ratio is the median, with every run's ratio beside
 * it (`repeatRatios`): the same code gives 1.25-1.75x from one run to the next on these 2-core
 * machines (docs/worker-cost.md, "The hit path without promises"), so one run says little.
 * @param {Context} ctx
 * @param {Series} series
 * @param {Instance} instance  64 frames of 64 KiB
 */
export async function hitPath(ctx, series, instance) {
  const iterations = ctx.quick ? 300 : 1000;
  const repeats = ctx.quick ? 1 : HIT_REPEATS;
  /** @type {Record<string, any[]>} */
  const runs = { default: [], dedicated: [] };
  /** @type {Record<string, any>} */
  const out = {};
  for (let repeat = 0; repeat < repeats; repeat++) {
    for (const [key, options] of /** @type {const} */ ([
      ['default', {}],
      ['dedicated', { shared: false }],
    ])) {
      try {
        runs[key].push(
          await callPage(ctx, ([s, i, n, o]) => globalThis.bench.measureHits(s, i, n, o), [
            series,
            instance,
            iterations,
            options,
          ]),
        );
      } catch (error) {
        if (ctx.interrupted === true) throw error;
        out[key] = { error: String(error instanceof Error ? error.message : error).split('\n')[0] };
        ctx.log(`  hits ${key} failed: ${out[key].error}`);
      }
    }
  }
  for (const [key, results] of Object.entries(runs)) {
    if (out[key] !== undefined || results.length === 0) continue;
    const ranked = [...results].sort((a, b) => hitRatio(key, a) - hitRatio(key, b));
    const median = ranked[Math.floor((ranked.length - 1) / 2)];
    out[key] = { ...median, repeatRatios: results.map((r) => hitRatio(key, r)) };
  }
  return out;
}
