// The viewer trace of `npm run bench` on emulated links (issue 11 items 1 and 5): for each link
// profile (loopback, or the HTTPS + HTTP/2 link proxy of scripts/lib/link-proxy.mjs in front of
// the bench server, so the page, its worker and every DICOMweb request cross the link), the
// trace of scripts/bench-trace.mjs is replayed by every peer, round-robin, each run in a fresh
// browser context (no HTTP cache, connection, worker or storage carried over). The module is
// driven through its public API only (bench/page/view-readers.ts). Method: docs/benchmarks.md.
import { LINK_PROFILES, startLinkProxy } from './lib/link-proxy.mjs';
import { callPage, logged, median, medianOf } from './bench-runner.mjs';

/** The viewer's image loader limit for per-tile requests (OpenSeadragon / Slim: 16 in flight). */
export const TILE_CONCURRENCY = 16;
/** The user's look at each painted view before moving on (stated beside every table). */
export const DEFAULT_PAUSE_MS = 150;
export const PROFILE_NAMES = Object.keys(LINK_PROFILES);

/**
 * Runs of the first view alone, per peer and profile, beside the full traces' first views: a
 * 1.1x goal on a view of ~40 ms does not resolve on three runs on this machine (one peer's three
 * first views spread over 25 ms: docs/worker-cost.md). The first view of a trace does not depend
 * on what follows it, so a trace of that view alone measures the same thing.
 */
export const FIRST_VIEW_EXTRA_RUNS = 5;

/**
 * More runs of the first view alone where a goal's margin lies inside the spread of the runs
 * above: on loopback the first view's 1.1x goal against one request per view. Eight runs of a
 * ~45 ms view (runs of one peer spread over 30-110 ms) give a ratio of medians that moves by
 * ±15% between full runs; 120 alternated rounds (three sets of 40, 2026-12-06) put the module at
 * 1.22x one request per view, 95% interval 1.14-1.29x, and the SharedWorker floor at 1.16x
 * (1.08-1.25x) (docs/benchmarks.md, "Intervals"). The same on 20 ms / 200 Mbit/s: its eight
 * rounds read the module at 0.90x, 0.98x and 1.19x (8 runs of 83-170 ms) in three full runs of
 * the same code (2026-12-06). Only the peers the goal and its floor compare, alternated run by
 * run as every round is.
 */
export const FIRST_VIEW_FOCUS = Object.freeze({
  runs: 32,
  profiles: ['loopback', '20ms-200mbit'],
  peers: ['view', 'view-sw-frames', 'default'],
});

/** The peers of the trace, in the order they run within a round. */
export const TRACE_PEERS = Object.freeze([
  {
    key: 'tile',
    label: 'per-tile requests (dicomweb-client, 1 GET per tile, 16 in flight)',
    spec: { kind: 'dwc-tile' },
  },
  { key: 'view', label: 'one request per view for its missing tiles (raw fetch)', spec: { kind: 'view-raw' } },
  {
    key: 'view-sw',
    label: "one request per view, sent from a SharedWorker (the module's hops, no module)",
    spec: { kind: 'view-shared-worker' },
  },
  {
    key: 'view-sw-frames',
    label: 'the same, with the work the module cannot skip on the way (parse, keep, pack, copy out)',
    spec: { kind: 'view-shared-worker-frames' },
  },
  { key: 'dwc-view', label: 'dicomweb-client batched (one request per view)', spec: { kind: 'dwc-view' } },
  { key: 'default', label: 'FrameCache default', spec: { kind: 'module', options: {} } },
  {
    key: 'dedicated',
    label: 'FrameCache { shared: false } (a dedicated Worker)',
    spec: { kind: 'module', options: { shared: false } },
  },
  {
    key: 'frames',
    label: "FrameCache default, a view's tiles of one level in one getFrames call",
    spec: { kind: 'module', options: {}, perView: true },
  },
  { key: 'fpm60', label: 'FrameCache { framesPerMiss: 60 }', spec: { kind: 'module', options: { framesPerMiss: 60 } } },
  {
    key: 'whole',
    label: 'FrameCache whole instance',
    spec: { kind: 'module', options: { wholeInstanceMaxFrames: 1e9 } },
  },
]);

/**
 * One run's figures from the page's result and the server log.
 * @param {Record<string, any>} run  what logged(replayTrace) returned
 */
export function summariseTraceRun(run) {
  const viewMs = /** @type {number[]} */ (run.viewMs);
  const later = viewMs.slice(1);
  return {
    setupMs: run.setupMs,
    firstViewMs: viewMs[0] ?? Number.NaN,
    coldPageMs: run.setupMs + (viewMs[0] ?? Number.NaN),
    laterMedianMs: median(later),
    laterMaxMs: later.length === 0 ? Number.NaN : Math.max(...later),
    sumViewMs: run.sumViewMs,
    wallMs: run.wallMs,
    waitedViews: run.waitedViews,
    greyTiles: run.greyTiles,
    tiles: run.tiles,
    missing: run.missing,
    frameBytes: run.frameBytes,
    requests: run.requests,
    frameRequests: run.frameRequests,
    serverBytes: run.serverBytes,
    failed: run.failed,
    ...(run.stats === undefined ? {} : { stats: run.stats }),
    viewMs,
  };
}

/**
 * @param {import('./bench-runner.mjs').Context} ctx  ctx.server: the bench server (its log)
 * @param {{ fresh(url: string): Promise<{ page: import('playwright-core').Page, open(url: string): Promise<void>, close(): Promise<unknown> }> }} browser
 * @param {{ studyInstanceUid: string, seriesInstanceUid: string }} series
 * @param {import('./bench-trace.mjs').TraceView[]} views
 * @param {{ profiles: string[], runs: number, pauseMs: number, firstViewRuns?: number, focus?: { runs: number, profiles: readonly string[], peers: readonly string[] } }} plan
 *   firstViewRuns: runs of the first view alone added to each peer's first-view figures (default
 *   FIRST_VIEW_EXTRA_RUNS); focus: more of them for some peers on some profiles (default FIRST_VIEW_FOCUS)
 */
export async function linkTraces(
  ctx,
  browser,
  series,
  views,
  { profiles, runs, pauseMs, firstViewRuns = FIRST_VIEW_EXTRA_RUNS, focus = FIRST_VIEW_FOCUS },
) {
  const options = { pauseMs, tileConcurrency: TILE_CONCURRENCY };
  /** @param {string} origin @param {Record<string, any>} spec @param {typeof views} [only] */
  const once = async (origin, spec, only = views) => {
    const handle = await browser.fresh(`${origin}/`);
    const pctx = Object.create(ctx, {
      browser: { value: { page: handle.page, open: handle.open } },
      pageUrl: { value: `${origin}/` },
    });
    try {
      const target = { ...series, dicomWebUrl: `${origin}/dicom-web` };
      return await logged(pctx, () =>
        callPage(pctx, ([s, t, v, o]) => globalThis.bench.replayTrace(s, t, v, o), [spec, target, only, options]),
      );
    } finally {
      await handle.close();
    }
  };
  // Unmeasured: Orthanc reads each level's file once (its storage cache), whoever comes first.
  await once(ctx.server.url, { kind: 'view-raw' });

  /** @type {Record<string, any>} */
  const out = { pauseMs, tileConcurrency: TILE_CONCURRENCY, runs, firstViewRuns, focus, profiles: {} };
  for (const name of profiles) {
    const link = /** @type {Record<string, { rttMs: number, megabitsPerSecond: number } | undefined>} */ (
      LINK_PROFILES
    )[name];
    ctx.log(
      `  link ${name}${link ? ` (HTTPS + HTTP/2 proxy: RTT ${link.rttMs} ms, ${link.megabitsPerSecond} Mbit/s shared)` : ' (no proxy, HTTP/1.1)'}: ${TRACE_PEERS.length} peers x ${runs} run(s)`,
    );
    const proxy = link ? await startLinkProxy({ target: ctx.server.url, ...link }) : undefined;
    /** @type {Record<string, any>} */
    const peers = {};
    for (const peer of TRACE_PEERS) peers[peer.key] = { label: peer.label, runs: [] };
    try {
      for (let round = 0; round < runs; round++) {
        for (const peer of TRACE_PEERS) {
          const record = peers[peer.key];
          if (record.error !== undefined) continue;
          try {
            // Each sample keeps its round: peers ran side by side in it (scripts/lib/paired-ratio.mjs).
            record.runs.push({ ...summariseTraceRun(await once(proxy?.url ?? ctx.server.url, peer.spec)), round });
          } catch (error) {
            if (ctx.interrupted === true) throw error;
            record.error = String(error instanceof Error ? error.message : error).split('\n')[0] ?? 'failed';
            ctx.log(`  trace ${name} ${peer.key} failed: ${record.error}`);
          }
        }
      }
      const focused = focus.profiles.includes(name) ? focus.runs : 0;
      for (let extra = 0; extra < firstViewRuns + focused; extra++) {
        const round = runs + extra;
        for (const peer of TRACE_PEERS) {
          const record = peers[peer.key];
          if (record.error !== undefined) continue;
          if (extra >= firstViewRuns && !focus.peers.includes(peer.key)) continue;
          try {
            const run = await once(proxy?.url ?? ctx.server.url, peer.spec, views.slice(0, 1));
            (record.firstViewOnly ??= []).push({ setupMs: run.setupMs, firstViewMs: run.viewMs[0], round });
          } catch (error) {
            if (ctx.interrupted === true) throw error;
            ctx.log(`  first view ${name} ${peer.key} failed: ${String(error).split('\n')[0]}`);
          }
        }
      }
    } finally {
      await proxy?.stop();
    }
    for (const record of Object.values(peers)) {
      record.median = medianOf(record.runs);
      // First view and cold page: the full traces' first views and the first view's own runs.
      const firsts = [...record.runs, ...(record.firstViewOnly ?? [])];
      record.median.firstViewMs = median(firsts.map((r) => r.firstViewMs));
      record.median.coldPageMs = median(firsts.map((r) => r.setupMs + r.firstViewMs));
      record.firstViewSamples = firsts.filter((r) => Number.isFinite(r.firstViewMs)).length;
    }
    // What crossed the link in all (page, worker script and DICOMweb; every run of the profile).
    const crossed = proxy
      ? { ...proxy.counters, pacedBytes: proxy.pacer.counters.bytes, pacerWaits: proxy.pacer.counters.waits }
      : null;
    out.profiles[name] = { link: link ?? null, proxy: crossed, peers };
  }
  return out;
}
