// The goals of issue 11, computed from one run's medians (bench/results.json `goals`): each
// with the numbers it was computed from, its limit and `met` (true / false; null when the run
// did not measure it). Goals are reported, never asserted.

import { median } from './bench-runner.mjs';
import { pairedRatio } from './lib/paired-ratio.mjs';

/** @typedef {Record<string, any>} Json */
/** @typedef {{ ratio: number, low: number, high: number, n: number }} Paired */
/**
 * `paired`: the same ratio taken round by round, with its 95% interval (scripts/lib/paired-ratio.mjs);
 * `floor`: that ratio for the peer that does only the work the module cannot skip on the same
 * hops (the goal's floor on this machine), or, with `n` 0, a floor on the goal's scale computed
 * from other figures of the run (named in `measured`); `floorBound`: the floor itself misses the limit.
 * @typedef {{ id: string, goal: string, where: string, measured: string, value: number | null, limit: number, met: boolean | null, paired?: Paired, floor?: Paired & { peer: string }, floorBound?: boolean }} Goal
 */

const CONFIG_LABEL = { on: 'Orthanc default (HTTP gzip on)', off: 'Orthanc HttpCompressionEnabled: false' };
/** Profiles where the trace total must beat "one request per view" by 2x. */
const SLOW_LINKS = ['20ms-200mbit', '80ms-40mbit'];

/** @param {unknown} a @param {unknown} b */
export function ratio(a, b) {
  return typeof a === 'number' && typeof b === 'number' && Number.isFinite(a) && Number.isFinite(b) && b > 0
    ? a / b
    : Number.NaN;
}

/**
 * A hit run's ratio, as the hit goals judge it: the hit against its echo floor, the SharedWorker
 * port echo for the default (shared) mode, the Worker echo for `shared: false`.
 * @param {'default' | 'dedicated' | string} key  @param {any} hits  one run of bench/page/hits.ts
 */
export function hitRatio(key, hits) {
  return ratio(hits.workerHitUs?.p50, key === 'default' ? hits.sharedEchoUs?.p50 : hits.rawEchoUs?.p50);
}

/** @param {unknown} value @param {number} [digits] */
export function num(value, digits = 0) {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '—';
}

/** @param {number} value */
export function times(value) {
  if (!Number.isFinite(value)) return '—';
  return `${value >= 10 ? value.toFixed(0) : value >= 1 ? value.toFixed(1) : value.toFixed(2)}x`;
}

/**
 * The median over runs of the summed time of the views that show a level for the first time
 * (labels "overview …" and "zoom in …" of scripts/bench-trace.mjs), NaN when unknown.
 * @param {string[] | undefined} labels
 * @param {{ viewMs?: number[] }[] | undefined} runs
 */
function newLevelViewsMs(labels, runs) {
  if (!Array.isArray(labels) || !Array.isArray(runs) || runs.length === 0) return Number.NaN;
  const indices = labels.flatMap((label, i) => (/^(overview|zoom in)\b/.test(label) ? [i] : []));
  // median() leaves out the runs whose sum is not finite (a view not measured), NaN when none is.
  return median(
    runs.map((run) =>
      Array.isArray(run.viewMs) ? indices.reduce((sum, i) => sum + (run.viewMs?.[i] ?? Number.NaN), 0) : Number.NaN,
    ),
  );
}

/**
 * A ratio a / b of two peers' `field`, round by round: every sample that says which round it ran
 * in (bench-runner.mjs roundRobin, bench-links.mjs linkTraces), the trace's runs and the first
 * view's own runs alike.
 * @param {any} a @param {any} b @param {string} field
 * @returns {Paired}
 */
export function pairedOf(a, b, field) {
  /** @param {any} record */
  const byRound = (record) => {
    /** @type {Map<number, number>} */
    const out = new Map();
    for (const run of [...(record?.runs ?? []), ...(record?.firstViewOnly ?? [])])
      if (Number.isInteger(run?.round) && typeof run[field] === 'number') out.set(run.round, run[field]);
    return out;
  };
  const x = byRound(a);
  const y = byRound(b);
  const rounds = [...x.keys()].filter((round) => y.has(round));
  return pairedRatio(
    rounds.map((round) => x.get(round)),
    rounds.map((round) => y.get(round)),
  );
}

/** @param {Paired} p */
function intervalText(p) {
  // Two decimals: the limits (1.1x, 1.2x) sit inside what one decimal would round together.
  return `${p.ratio.toFixed(2)}x (95% ${p.low.toFixed(2)}-${p.high.toFixed(2)}x, ${p.n} rounds)`;
}

/**
 * @param {Json} results
 * @returns {Goal[]}
 */
export function evaluateGoals(results) {
  /** @type {Goal[]} */
  const goals = [];
  /**
   * @param {string} id @param {string} goal @param {string} where @param {number} value
   * @param {'<=' | '>='} op @param {number} limit @param {string} measured
   * @param {{ paired?: Paired, floor?: Paired & { peer: string } }} [rounds]  the ratio round by round, and its floor's
   */
  const add = (id, goal, where, value, op, limit, measured, rounds = {}) => {
    const known = Number.isFinite(value);
    const within = (/** @type {number} */ v) => (op === '<=' ? v <= limit : v >= limit);
    const { paired, floor } = rounds;
    const text = [
      measured,
      paired && Number.isFinite(paired.low) ? `round by round ${intervalText(paired)}` : '',
      // A floor of n 0 is not a ratio of runs (a bound computed from other figures): its text is in `measured`.
      floor && Number.isFinite(floor.ratio) && floor.n > 0
        ? `its floor (${floor.peer}) ${Number.isFinite(floor.low) ? intervalText(floor) : times(floor.ratio)}`
        : '',
    ].filter((part) => part !== '');
    goals.push({
      id,
      goal,
      where,
      measured: text.join('; '),
      value: known ? value : null,
      limit,
      met: known ? within(value) : null,
      ...(paired && Number.isFinite(paired.ratio) ? { paired } : {}),
      ...(floor && Number.isFinite(floor.ratio) ? { floor, floorBound: !within(floor.ratio) } : {}),
    });
  };
  /**
   * A floor that is a figure computed from others of the run, not a peer's runs (n 0: no interval,
   * its text is in `measured`); NaN: not measured, no floor.
   * @param {number} value @param {string} peer
   */
  const computedFloor = (value, peer) => ({
    floor: { ratio: value, low: Number.NaN, high: Number.NaN, n: 0, peer },
  });

  // 1. The viewer trace on every link profile, the module's default configuration.
  for (const [profile, data] of Object.entries(results.links?.profiles ?? {})) {
    const peers = data.peers ?? {};
    const d = peers['default']?.median ?? {};
    const view = peers['view']?.median ?? {};
    const tile = peers['tile']?.median ?? {};
    const where = `trace, ${profile}`;
    const first = ratio(d.firstViewMs, view.firstViewMs);
    const viaWorker = peers['view-sw']?.median?.firstViewMs;
    const withWork = peers['view-sw-frames']?.median?.firstViewMs;
    const perView = peers['frames']?.median?.firstViewMs;
    const dedicated = peers['dedicated']?.median?.firstViewMs;
    add(
      'first-view',
      'first view within 1.1x of one request per view',
      where,
      first,
      '<=',
      1.1,
      `${num(d.firstViewMs)} vs ${num(view.firstViewMs)} ms (${times(first)})` +
        (Number.isFinite(viaWorker)
          ? `; ${times(ratio(d.firstViewMs, viaWorker))} the same requests sent from a SharedWorker (${num(viaWorker)} ms)`
          : '') +
        (Number.isFinite(withWork) ? `, with the module's unavoidable work ${num(withWork)} ms` : '') +
        (Number.isFinite(perView)
          ? `; getFrames per view ${num(perView)} ms (${times(ratio(perView, view.firstViewMs))})`
          : '') +
        (Number.isFinite(dedicated)
          ? `; { shared: false } ${num(dedicated)} ms (${times(ratio(dedicated, view.firstViewMs))})`
          : ''),
      {
        paired: pairedOf(peers['default'], peers['view'], 'firstViewMs'),
        floor: {
          ...pairedOf(peers['view-sw-frames'], peers['view'], 'firstViewMs'),
          peer: 'SharedWorker with the unavoidable work',
        },
      },
    );
    add(
      'later-views',
      'median later view <= 5 ms (served without the network)',
      where,
      d.laterMedianMs,
      '<=',
      5,
      `${num(d.laterMedianMs, 1)} ms; ${num(d.waitedViews)} of ${results.trace?.views ?? '?'} views waited on the network`,
    );
    if (SLOW_LINKS.includes(profile)) {
      const vsView = ratio(d.sumViewMs, view.sumViewMs);
      add(
        'trace-vs-view',
        'trace time (sum of views) <= 0.5x one request per view',
        where,
        vsView,
        '<=',
        0.5,
        `${num(d.sumViewMs)} vs ${num(view.sumViewMs)} ms (${times(vsView)})`,
      );
      const vsTile = ratio(tile.sumViewMs, d.sumViewMs);
      // The views that show a level for the first time (the overview, each zoom in) need the
      // network whatever a client does, unless it fetched levels before they were shown: their
      // time for one request per view bounds the ratio any such client reaches.
      const firstShown = newLevelViewsMs(results.trace?.labels, peers['view']?.runs);
      const bound = ratio(tile.sumViewMs, firstShown);
      add(
        'trace-vs-tile',
        'trace time (sum of views) >= 10x faster than per-tile requests',
        where,
        vsTile,
        '>=',
        10,
        `${num(d.sumViewMs)} vs ${num(tile.sumViewMs)} ms (${times(vsTile)})` +
          (Number.isFinite(bound)
            ? `; at most ${times(bound)} for a client that reads no level before it is shown (its overview and zoom-ins: ${num(firstShown)} ms by one request per view)`
            : ''),
        computedFloor(bound, 'the views that show a level first'),
      );
    }
  }

  // 2. Loopback cold level read and first tile (issue 6's scenario), each Orthanc configuration.
  for (const [config, data] of Object.entries(results.configs ?? {})) {
    const cold = data.cold;
    if (cold === undefined) continue;
    const where = `cold level, ${/** @type {Record<string, string>} */ (CONFIG_LABEL)[config] ?? config}`;
    const d = cold['default']?.median ?? {};
    const floor = ratio(d.ms, cold['e-default']?.median?.ms);
    const visibleFirst = cold['e-visible-first']?.median?.ms;
    const withWork = cold['e-sw-frames']?.median?.ms;
    // A warm worker: the page's third read (its frame path compiled by V8; docs/worker-cost.md,
    // "The cold read's extra CPU"), against the raw floor of its own requests and against (b).
    const warm = cold['default-learned']?.median?.ms;
    const warmFloor = cold['e-learned']?.median?.ms;
    const warmText = (/** @type {number | undefined} */ against, /** @type {string} */ what) =>
      Number.isFinite(warm) && Number.isFinite(against)
        ? `; a warm worker (the page's third read) ${num(warm)} ms, ${times(ratio(warm, against))} ${what}`
        : '';
    add(
      'cold-floor',
      'cold level read <= 1.2x its raw-fetch floor',
      where,
      floor,
      '<=',
      1.2,
      `${num(d.ms)} vs ${num(cold['e-default']?.median?.ms)} ms (${times(floor)})` +
        (Number.isFinite(visibleFirst)
          ? `; ${times(ratio(d.ms, visibleFirst))} the same requests raw with the visible one first (${num(visibleFirst)} ms)`
          : '') +
        (Number.isFinite(withWork)
          ? `; ${times(ratio(d.ms, withWork))} the same through a bare SharedWorker with the module's unavoidable work (${num(withWork)} ms, itself ${times(ratio(withWork, cold['e-default']?.median?.ms))} the raw floor)`
          : '') +
        warmText(warmFloor, `its raw floor (${num(warmFloor)} ms)`),
      {
        paired: pairedOf(cold['default'], cold['e-default'], 'ms'),
        floor: { ...pairedOf(cold['e-sw-frames'], cold['e-default'], 'ms'), peer: "e'', a bare SharedWorker" },
      },
    );
    const vsB = ratio(d.ms, cold['b']?.median?.ms);
    add(
      'cold-dwc',
      'cold level read <= 1.0x dicomweb-client batched (b)',
      where,
      vsB,
      '<=',
      1.0,
      `${num(d.ms)} vs ${num(cold['b']?.median?.ms)} ms (${times(vsB)})` +
        (Number.isFinite(withWork)
          ? `; the bare SharedWorker with the module's unavoidable work ${times(ratio(withWork, cold['b']?.median?.ms))} (b)`
          : '') +
        warmText(cold['b']?.median?.ms, '(b)'),
      {
        paired: pairedOf(cold['default'], cold['b'], 'ms'),
        floor: { ...pairedOf(cold['e-sw-frames'], cold['b'], 'ms'), peer: "e'', a bare SharedWorker" },
      },
    );
    const single = cold['single']?.median?.ms;
    const firstTile = ratio(d.firstMs, single);
    add(
      'first-tile',
      'first tile <= 1.5x a single-frame request',
      where,
      firstTile,
      '<=',
      1.5,
      `${num(d.firstMs, 1)} vs ${num(single, 1)} ms (${times(firstTile)})`,
    );
  }

  // 3. Scale: the 51,200-frame level against the 1k level, default configuration.
  for (const [config, data] of Object.entries(results.configs ?? {})) {
    const scale = data.scale;
    if (scale === undefined) continue;
    const small = scale['scale-1k']?.peers?.['default']?.median?.usPerFrame;
    const big = scale['scale-50k']?.peers?.['default'];
    if (big === undefined) continue; // the default read of the big level runs under one configuration only
    const large = big.median?.usPerFrame;
    const r = ratio(large, small);
    const where = `scale, ${/** @type {Record<string, string>} */ (CONFIG_LABEL)[config] ?? config}`;
    const measured = big.error
      ? `the 51,200-frame read failed: ${big.error}`
      : `${num(large)} vs ${num(small)} µs/frame (${times(r)})`;
    add('scale', 'per-frame cost at 51,200 frames <= 2x that at 1k (default)', where, r, '<=', 2, measured);
  }

  // 4. The hit path (bench:hits). A full run keeps the median of its repeats (bench-scenarios.mjs hitPath).
  /** @param {any} h */
  const repeatsNote = (h) =>
    Array.isArray(h.repeatRatios) && h.repeatRatios.length > 1
      ? `, the median of ${h.repeatRatios.length} runs (${h.repeatRatios.map((x) => times(x)).join(', ')})`
      : '';
  const hits = results.hits ?? {};
  const dedicated = hits['dedicated'];
  if (dedicated && !dedicated.error) {
    const r = hitRatio('dedicated', dedicated);
    // Its floor: a hit hands out a copy (docs/design.md: the cached buffer is never transferred away),
    // so the echo of a fresh copy, sampled in turn with the hits, is the least a cache can do.
    const copyFloor = ratio(dedicated.copyEchoUs?.p50, dedicated.rawEchoUs?.p50);
    add(
      'hit-dedicated',
      'dedicated-worker hit <= 1.5x its echo floor',
      'FrameCache { shared: false }',
      r,
      '<=',
      1.5,
      `${num(dedicated.workerHitUs?.p50)} vs ${num(dedicated.rawEchoUs?.p50)} µs (${times(r)})${repeatsNote(dedicated)}${
        dedicated.copyEchoUs
          ? `; a fresh copy from a Worker, asked for: ${num(dedicated.copyEchoUs.p50)} µs (${times(copyFloor)} the echo)`
          : ''
      }`,
      computedFloor(copyFloor, 'a fresh copy from a Worker'),
    );
  }
  for (const [key, h] of Object.entries(hits)) {
    if (h.error) continue;
    const where = key === 'default' ? 'FrameCache default (shared mode)' : 'FrameCache { shared: false }';
    // Its floor: 1 MiB copied into memory made ready ahead and sent from the same kind of worker, asked for.
    const floor = key === 'default' ? h.sharedBatchCopyPerFrameUs : h.batchCopyPerFrameUs;
    add(
      'getframes-16',
      'getFrames of 16 <= 60 µs per frame',
      where,
      h.batch16PerFrameUs?.p50,
      '<=',
      60,
      `${num(h.batch16PerFrameUs?.p50)} µs per frame${floor ? ` (floor: 1 MiB copied into memory made ready ahead and sent from that worker ${num(floor.p50)})` : ''}`,
      computedFloor(floor?.p50 ?? Number.NaN, '1 MiB copy'),
    );
  }
  const shared = hits['default'];
  if (shared && !shared.error && shared.sharedEchoUs) {
    const r = hitRatio('default', shared);
    add(
      'hit-shared',
      'shared-mode hit <= 1.2x its port echo',
      'FrameCache default (shared mode)',
      r,
      '<=',
      1.2,
      `${num(shared.workerHitUs?.p50)} vs ${num(shared.sharedEchoUs.p50)} µs (${times(r)})${repeatsNote(shared)}`,
    );
  }
  return goals;
}
