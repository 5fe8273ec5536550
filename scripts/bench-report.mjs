// Turns the results of `npm run bench` into the printed tables (also docs/benchmarks.md's, by
// scripts/bench-docs.mjs) and the goals of issue 11 (scripts/bench-goals.mjs). Every table says
// what its clocks leave out.
import { evaluateGoals, num, ratio, times } from './bench-goals.mjs';
import { linksTables } from './bench-report-links.mjs';
import { PER_TILE_RUNS, fewRuns } from './bench-scenarios.mjs';

/** @typedef {Record<string, any>} Json */

const CONFIG_LABEL = { on: 'Orthanc default (HTTP gzip on)', off: 'Orthanc HttpCompressionEnabled: false' };
/** The floor (e) of each module row: the same requests, raw. */
const FLOOR_OF = {
  default: 'e-default',
  'default-latency': 'e-default',
  dedicated: 'e-default',
  'default-learned': 'e-learned',
  c: 'e-c',
  'c-latency': 'e-c',
  d: 'e-d',
  'd-latency': 'e-d',
};

/**
 * A Markdown table (readable as plain text too).
 * @param {string[]} head
 * @param {string[][]} rows
 */
export function table(head, rows) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (/** @type {string[]} */ cells) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  return [
    line(head),
    `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

const COLD_CLOCKS =
  'Clocks: "setup" = FrameCache construction until its worker answers (worker start + engine build), 0 for peers without one; ' +
  '"ms" = first tile asked for -> last tile resolved (setup left out); "cold page" = setup + ms; ' +
  '"server span" = first request reaching the bench server -> last answer byte leaving it; "engine load" = the engine\'s own block/instance read time; ' +
  '"first tile" leaves setup out; "warm" = the same read again from memory. Loopback, HTTP/1.1, no link emulation.';

/** @param {Json} cold one config's cold-level results */
function coldTable(cold) {
  const a = cold['a']?.median ?? {};
  const b = cold['b']?.median ?? {};
  const rows = Object.entries(cold).map(([key, peer]) => {
    const m = peer.median ?? {};
    const floorKey = /** @type {Record<string, string>} */ (FLOOR_OF)[key];
    const floor = floorKey ? cold[floorKey]?.median : undefined;
    return [
      peer.error ? `${peer.label} (failed: ${peer.error.slice(0, 60)})` : peer.label,
      num(m.setupMs),
      num(m.ms),
      num((m.setupMs ?? 0) + m.ms),
      num(m.serverSpanMs),
      m.stats === undefined ? '' : num((m.stats.blockReadMs ?? 0) + (m.stats.instanceReadMs ?? 0)),
      num(m.firstMs, 1),
      m.warmMs === undefined ? '' : num(m.warmMs, 1),
      num(m.requests),
      num(m.serverBytes / 1e6, 2),
      key === 'a' ? '' : times(ratio(a.ms, m.ms)),
      key === 'b' ? '' : times(ratio(m.ms, b.ms)),
      floor ? times(ratio(m.ms, floor.ms)) : '',
    ];
  });
  return table(
    [
      'peer (median of runs)',
      'setup ms',
      'ms',
      'cold page ms',
      'server span ms',
      'engine load ms',
      'first tile ms',
      'warm ms',
      'requests',
      'MB from server',
      'faster than (a)',
      't / t(b)',
      't / t(e)',
    ],
    rows,
  );
}

/** Every tile-reading peer must have returned the same frames (same count, same total bytes). @param {Json} cold */
function framesCheck(cold) {
  const readers = Object.entries(cold).filter(([, p]) => (p.median?.frames ?? 0) > 0);
  const sizes = new Set(
    readers.map(([, p]) => `${p.median.frames - p.median.missing} frames, ${p.median.frameBytes} bytes`),
  );
  if (sizes.size === 1) return `Frames check: every tile-reading peer returned the same ${[...sizes][0]}.`;
  return `Frames check FAILED: ${readers.map(([k, p]) => `${k}: ${p.median.frames - p.median.missing} frames, ${p.median.frameBytes} bytes`).join('; ')}`;
}

/** @param {Json} reload @param {Json} cold */
function reloadTable(reload, cold) {
  const rows = Object.entries(reload).map(([key, mode]) => {
    const m = mode.median ?? {};
    return [
      mode.error ? `${mode.label} (failed)` : mode.label,
      num(cold[key]?.median?.ms),
      num(m.coldSpillMs),
      num(m.ms),
      times(ratio(m.ms, cold[key]?.median?.ms)),
      num(m.frameRequests),
      num(m.spillHits),
      `${num(m.idbGetAllMs)} / ${num(m.idbGetEachMs)}`,
    ];
  });
  return table(
    [
      'after a page reload, spill on',
      'cold ms (no spill)',
      'cold ms (spill on)',
      'reload ms',
      'reload / cold',
      'frame requests',
      'spill hits',
      'raw IDB read ms: getAll / get each',
    ],
    rows,
  );
}

/** @param {Json} scale */
function scaleTable(scale) {
  const smallUs = scale['scale-1k']?.peers?.['default']?.median?.usPerFrame;
  const rows = Object.entries(scale).map(([name, level]) => {
    const p = level.peers ?? {};
    const us = (/** @type {string} */ key) =>
      `${num(p[key]?.median?.usPerFrame, 0)}${p[key]?.sampled ? ' (sampled)' : ''}`;
    return [
      `${name} (${level.frameCount} frames)`,
      p['default']?.error ? `failed: ${String(p['default'].error).slice(0, 40)}` : num(p['default']?.median?.ms),
      us('default'),
      times(ratio(p['default']?.median?.usPerFrame, smallUs)),
      num(p['default']?.median?.requests),
      num(p['default']?.median?.ttfbMs, 1),
      us('e-default'),
      num(p['c']?.median?.ms),
      us('c'),
      us('e-c'),
    ];
  });
  return table(
    [
      'level',
      'default ms',
      'default µs/frame',
      'per frame vs 1k',
      'default requests',
      'server ms to first byte',
      'its floor µs/frame',
      '(c) ms',
      '(c) µs/frame',
      '(c) floor µs/frame',
    ],
    rows,
  );
}

/** @param {Json} hits */
function hitsTable(hits) {
  const rows = [];
  for (const [key, h] of Object.entries(hits)) {
    if (h.error) {
      rows.push([`${key}: failed (${String(h.error).slice(0, 60)})`, '', '', '', '']);
      continue;
    }
    const worker = key === 'default' ? 'FrameCache default options' : 'FrameCache { shared: false }';
    const shared = h.sharedEchoUs;
    const vs = (/** @type {number} */ us) => [
      times(ratio(us, h.rawEchoUs.p50)),
      shared ? times(ratio(us, shared.p50)) : '',
    ];
    rows.push(
      [
        `raw postMessage+transfer echo to a Worker (floor, ${key} run)`,
        num(h.rawEchoUs.p50),
        num(h.rawEchoUs.p95),
        '',
        '',
      ],
      ...(shared
        ? [
            [
              `same echo to a SharedWorker port (${key} run)`,
              num(shared.p50),
              num(shared.p95),
              times(ratio(shared.p50, h.rawEchoUs.p50)),
              '',
            ],
          ]
        : []),
      ...(h.copyEchoUs
        ? [
            [
              `a fresh 64 KiB copy from a Worker, asked for (floor of a cache that copies, ${key} run)`,
              num(h.copyEchoUs.p50),
              num(h.copyEchoUs.p95),
              times(ratio(h.copyEchoUs.p50, h.rawEchoUs.p50)),
              '',
            ],
          ]
        : []),
      [
        `${worker}: getFrame hit, hot tier off`,
        num(h.workerHitUs.p50),
        num(h.workerHitUs.p95),
        ...vs(h.workerHitUs.p50),
      ],
      ...(h.batchCopyPerFrameUs
        ? [
            [
              `a 1 MiB copy into memory made ready ahead, from a Worker, asked for, per 64 KiB (floor of getFrames of 16, ${key} run)`,
              num(h.batchCopyPerFrameUs.p50),
              num(h.batchCopyPerFrameUs.p95),
              '',
              '',
            ],
          ]
        : []),
      ...(h.sharedBatchCopyPerFrameUs
        ? [
            [
              `the same from a SharedWorker port (${key} run)`,
              num(h.sharedBatchCopyPerFrameUs.p50),
              num(h.sharedBatchCopyPerFrameUs.p95),
              '',
              '',
            ],
          ]
        : []),
      [`${worker}: getFrames of 16, per frame`, num(h.batch16PerFrameUs.p50), num(h.batch16PerFrameUs.p95), '', ''],
      [
        `${worker}: hot-tier hit (batches of ${h.hotHitUs.batch})`,
        num(h.hotHitUs.p50, 2),
        num(h.hotHitUs.p95, 2),
        '',
        '',
      ],
    );
  }
  return table(['hit path, 64 KiB frames', 'p50 µs', 'p95 µs', 'p50 / Worker floor', 'p50 / SharedWorker floor'], rows);
}

/** @param {Json} parse */
function parseTable(parse) {
  const rows = [];
  for (const [bench, data] of Object.entries(parse)) {
    if (data.error) {
      rows.push([`${bench}: failed`, '', '']);
      continue;
    }
    for (const r of data.results ?? []) rows.push([`${bench}: ${r.case}`, r.reader, num(r.mbPerS)]);
  }
  return table(['parser (Node)', 'reader', 'MB/s'], rows);
}

/**
 * How many runs each median of the cold, reload and scale sections is of (bench-scenarios.mjs).
 * @param {Json} results
 */
function runCounts(results) {
  const runs = Number(results.runs);
  const few = fewRuns({ quick: results.quick === true, runs });
  const sections = new Set(results.sections ?? ['cold', 'reload', 'scale']);
  const parts = [];
  if (sections.has('cold')) {
    // Runs before 2026-12-05 recorded no coldRuns: every peer then ran `runs` times, in a fixed order.
    parts.push(
      results.coldRuns === undefined
        ? `cold read: median of ${runs} runs per peer after one warm-up round`
        : `cold read: median of ${results.coldRuns} runs per peer ((a) ${Math.min(PER_TILE_RUNS, results.coldRuns)}` +
            (results.coldFocus?.runs > results.coldRuns
              ? `; the goals' peers and floors ${results.coldFocus.peers.join(', ')}: ${results.coldFocus.runs}`
              : '') +
            ') after one warm-up round, peers in a shuffled order each round',
    );
  }
  if (sections.has('reload')) parts.push(`reload: median of ${few}`);
  if (sections.has('scale'))
    parts.push(`scale: median of ${few} after a warm-up round (the 51,200-frame level: 1 run)`);
  return parts.length === 0
    ? 'No cold, reload or scale section'
    : parts.join('; ').replace(/^./, (c) => c.toUpperCase());
}

/**
 * The whole report: machine, then one section per measurement, then the goals.
 * @param {Json} results
 */
export function formatReport(results) {
  const out = [];
  const m = results.machine ?? {};
  out.push(
    `Machine: ${m.cpu ?? '?'} (${m.cores ?? '?'} cores), ${m.memoryGb ?? '?'} GB RAM, ${m.os ?? '?'}; Node ${m.node ?? '?'}; ` +
      `Chromium ${m.chromium ?? '?'} headless; Orthanc ${m.orthanc ?? '?'} (DICOMweb plugin ${m.dicomweb ?? '?'}) on loopback; ` +
      `load average at start ${m.loadStart ?? '?'}, at end ${m.loadEnd ?? '?'}.`,
    `Ran: ${results.command ?? 'npm run bench'} (${results.full ? 'full run' : `partial run: ${(results.sections ?? []).join(', ')}`}${results.durationS ? `, ${num(results.durationS)} s` : ''}, ${results.date ?? '?'}). ` +
      `${runCounts(results)}${results.quick ? ', --quick' : ''}` +
      (results.isolated === undefined
        ? '.'
        : `; page cross-origin isolated: ${results.isolated ? 'yes (COOP/COEP, 5 µs clock)' : 'NO (clock coarsened)'}.`),
  );
  const busiest = Math.max(...[m.loadStart, m.loadEnd].map((l) => Number(String(l ?? '0').split(' ')[0])));
  if (Number.isFinite(busiest) && busiest > (m.cores ?? 1)) {
    out.push(
      `Note: the machine was busy (1-min load average up to ${busiest.toFixed(1)} on ${m.cores} cores): figures are noisy; compare ratios within one run.`,
    );
  }
  for (const [config, data] of Object.entries(results.configs ?? {})) {
    const label = /** @type {Record<string, string>} */ (CONFIG_LABEL)[config] ?? config;
    if (data.cold)
      out.push(
        '',
        `### Cold read, ${results.level?.description ?? '768-frame level'} — ${label}`,
        '',
        coldTable(data.cold),
        '',
        framesCheck(data.cold),
        '',
        COLD_CLOCKS,
      );
    if (data.reload)
      out.push('', `### Reload from IndexedDB — ${label}`, '', reloadTable(data.reload, data.cold ?? {}));
    if (data.scale) out.push('', `### Scale: synthetic levels, ~2 KiB frames — ${label}`, '', scaleTable(data.scale));
  }
  if (results.links) out.push(...linksTables(results));
  if (results.hits) out.push('', '### Hit path (bench:hits)', '', hitsTable(results.hits));
  if (results.parse) out.push('', '### Parsers (bench:parse)', '', parseTable(results.parse));
  const goals = evaluateGoals(results);
  if (goals.length > 0) {
    out.push('', '### Goals of issue 11 (ratios of this run)', '', goalsTable(goals));
  }
  return out.join('\n');
}

/** @param {ReturnType<typeof evaluateGoals>} goals */
export function goalsTable(goals) {
  const rows = goals.map((g) => [
    g.goal,
    g.where,
    g.measured,
    g.met === null
      ? 'not measured'
      : g.met
        ? 'met'
        : g.floorBound === true
          ? 'NOT MET (its floor misses too)'
          : 'NOT MET',
  ]);
  return table(['goal', 'where', 'measured', ''], rows);
}
