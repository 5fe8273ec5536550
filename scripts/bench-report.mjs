// Turns the results of `npm run bench` into the printed table (also the README's) and checks
// where each goal of issues 4 and 6 stands. Goals are reported, never asserted.

/** @typedef {Record<string, any>} Json */

const CONFIG_LABEL = { on: "Orthanc default (HTTP gzip on)", off: 'Orthanc HttpCompressionEnabled: false' };
/** The floor (e) of each module row: the same requests, raw. */
const FLOOR_OF = { default: 'e-default', 'default-latency': 'e-default', dedicated: 'e-default', 'default-learned': 'e-learned', c: 'e-c', 'c-latency': 'e-c', d: 'e-d', 'd-latency': 'e-d' };

/** @param {unknown} value @param {number} [digits] */
function num(value, digits = 0) {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '—';
}

/** @param {unknown} a @param {unknown} b */
function ratio(a, b) {
  return typeof a === 'number' && typeof b === 'number' && Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : Number.NaN;
}

/** @param {number} value */
function times(value) {
  if (!Number.isFinite(value)) return '—';
  return `${value >= 10 ? value.toFixed(0) : value >= 1 ? value.toFixed(1) : value.toFixed(2)}x`;
}

/**
 * A Markdown table (readable as plain text too).
 * @param {string[]} head
 * @param {string[][]} rows
 */
export function table(head, rows) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (/** @type {string[]} */ cells) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  return [line(head), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.map(line)].join('\n');
}

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
      num(m.ms),
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
  return table(['peer (median of runs)', 'ms', 'server span ms', 'engine load ms', 'first tile ms', 'warm ms', 'requests', 'MB from server', 'faster than (a)', 't / t(b)', 't / t(e)'], rows);
}

/** Every tile-reading peer must have returned the same frames (same count, same total bytes). @param {Json} cold */
function framesCheck(cold) {
  const readers = Object.entries(cold).filter(([, p]) => (p.median?.frames ?? 0) > 0);
  const sizes = new Set(readers.map(([, p]) => `${p.median.frames - p.median.missing} frames, ${p.median.frameBytes} bytes`));
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
    ['after a page reload, spill on', 'cold ms (no spill)', 'cold ms (spill on)', 'reload ms', 'reload / cold', 'frame requests', 'spill hits', 'raw IDB read ms: getAll / get each'],
    rows,
  );
}

/** @param {Json} trace */
function traceTable(trace) {
  const a = trace['a']?.median ?? {};
  const rows = Object.entries(trace).map(([key, peer]) => {
    const m = peer.median ?? {};
    return [
      peer.error ? `${peer.label} (failed)` : peer.label,
      num(m.ms),
      num(m.requests),
      num(m.serverBytes / 1e6, 2),
      num(m.slowestViewMs),
      num(m.greyTiles),
      key === 'a' ? '' : times(ratio(a.requests, m.requests)),
      key === 'a' ? '' : times(ratio(a.ms, m.ms)),
    ];
  });
  return table(['viewer trace (median of runs)', 'total ms', 'requests', 'MB from server', 'slowest view ms', 'grey tiles', 'fewer requests than (a)', 'faster than (a)'], rows);
}

/** @param {Json} scale */
function scaleTable(scale) {
  const rows = Object.entries(scale).map(([name, level]) => {
    const p = level.peers ?? {};
    const us = (/** @type {string} */ key) => `${num(p[key]?.median?.usPerFrame, 0)}${p[key]?.sampled ? ' (sampled)' : ''}`;
    return [
      `${name} (${level.frameCount} frames)`,
      num(p['default']?.median?.ms),
      us('default'),
      num(p['default']?.median?.requests),
      num(p['default']?.median?.ttfbMs, 1),
      us('e-default'),
      num(p['c']?.median?.ms),
      us('c'),
      us('e-c'),
    ];
  });
  return table(
    ['level', 'default ms', 'default µs/frame', 'default requests', 'server ms to first byte', 'its floor µs/frame', '(c) ms', '(c) µs/frame', '(c) floor µs/frame'],
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
    const vs = (/** @type {number} */ us) => [times(ratio(us, h.rawEchoUs.p50)), shared ? times(ratio(us, shared.p50)) : ''];
    rows.push(
      [`raw postMessage+transfer echo to a Worker (floor, ${key} run)`, num(h.rawEchoUs.p50), num(h.rawEchoUs.p95), '', ''],
      ...(shared ? [[`same echo to a SharedWorker port (${key} run)`, num(shared.p50), num(shared.p95), times(ratio(shared.p50, h.rawEchoUs.p50)), '']] : []),
      [`${worker}: getFrame hit, hot tier off`, num(h.workerHitUs.p50), num(h.workerHitUs.p95), ...vs(h.workerHitUs.p50)],
      [`${worker}: getFrames of 16, per frame`, num(h.batch16PerFrameUs.p50), num(h.batch16PerFrameUs.p95), '', ''],
      [`${worker}: hot-tier hit (batches of ${h.hotHitUs.batch})`, num(h.hotHitUs.p50, 2), num(h.hotHitUs.p95, 2), '', ''],
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
 * Where each goal stands.
 * @param {Json} results
 * @returns {{ goal: string, where: string, measured: string, met: boolean | undefined }[]}
 */
export function evaluateGoals(results) {
  /** @type {{ goal: string, where: string, measured: string, met: boolean | undefined }[]} */
  const goals = [];
  /** @param {string} goal @param {string} where @param {number} value @param {(v: number) => boolean} ok @param {string} measured */
  const add = (goal, where, value, ok, measured) => goals.push({ goal, where, measured, met: Number.isFinite(value) ? ok(value) : undefined });
  for (const [config, data] of Object.entries(results.configs ?? {})) {
    const cold = data.cold ?? {};
    const where = /** @type {Record<string, string>} */ (CONFIG_LABEL)[config] ?? config;
    for (const [key, floorKey] of [['default', 'e-default'], ['default-learned', 'e-learned']]) {
      if (!cold[key]) continue;
      const d = cold[key].median ?? {};
      const floor = cold[floorKey]?.median ?? {};
      add(`cold read (${key}) within 1.3x of its floor (e)`, where, ratio(d.ms, floor.ms), (v) => v <= 1.3, times(ratio(d.ms, floor.ms)));
      add(`cold read (${key}) <= 0.8x the time of (b)`, where, ratio(d.ms, cold['b']?.median?.ms), (v) => v <= 0.8, times(ratio(d.ms, cold['b']?.median?.ms)));
      add(`cold read (${key}) >= 50x faster than (a)`, where, ratio(cold['a']?.median?.ms, d.ms), (v) => v >= 50, times(ratio(cold['a']?.median?.ms, d.ms)));
      const whole = (d.stats?.instanceReads ?? 0) > 0 && (d.stats?.blockReads ?? 0) === 0;
      add(`cold read (${key}) requests <= ${whole ? '1 (whole instance)' : '3 (block)'}`, where, d.requests, (v) => v <= (whole ? 1 : 3), num(d.requests));
    }
    if (cold['single']) {
      const single = cold['single']?.median?.ms;
      for (const key of ['default', 'default-learned', 'default-latency', 'c-latency', 'd-latency']) {
        const first = cold[key]?.median?.firstMs;
        add(`first tile cold (${key}) <= 1.5x a single-frame request`, where, ratio(first, single), (v) => v <= 1.5, `${num(first, 1)} ms vs ${num(single, 1)} ms (${times(ratio(first, single))})`);
      }
    }
    for (const [key, mode] of Object.entries(data.reload ?? {})) {
      const m = mode.median ?? {};
      add(`reload from IndexedDB (${key}): zero frame requests`, where, m.frameRequests, (v) => v === 0, num(m.frameRequests));
      const base = cold[key]?.median?.ms;
      add(`reload from IndexedDB (${key}) <= 0.5x the cold time`, where, ratio(m.ms, base), (v) => v <= 0.5, `${num(m.ms)} ms vs ${num(base)} ms (${times(ratio(m.ms, base))})`);
    }
    const trace = data.trace ?? {};
    if (trace['a'] && trace['default']) {
      const a = trace['a'].median ?? {};
      const m = trace['default'].median ?? {};
      add('viewer trace (default): >= 20x fewer requests than (a)', where, ratio(a.requests, m.requests), (v) => v >= 20, times(ratio(a.requests, m.requests)));
      add('viewer trace (default): >= 5x faster than (a)', where, ratio(a.ms, m.ms), (v) => v >= 5, times(ratio(a.ms, m.ms)));
    }
    const scale = data.scale ?? {};
    const small = scale['scale-1k']?.peers?.['default']?.median?.usPerFrame;
    const large = scale['scale-50k']?.peers?.['default']?.median?.usPerFrame;
    if (small !== undefined && large !== undefined) {
      add('per-frame cost at ~50k frames <= 1.5x that at ~1k (default)', where, ratio(large, small), (v) => v <= 1.5, `${num(large)} vs ${num(small)} µs/frame (${times(ratio(large, small))})`);
    }
  }
  for (const [key, h] of Object.entries(results.hits ?? {})) {
    if (h.error) continue;
    const where = key === 'default' ? 'FrameCache default options' : 'FrameCache { shared: false }';
    add('worker hit p50 <= 1.2x raw floor', where, ratio(h.workerHitUs.p50, h.rawEchoUs.p50), (v) => v <= 1.2, `${num(h.workerHitUs.p50)} vs ${num(h.rawEchoUs.p50)} µs (${times(ratio(h.workerHitUs.p50, h.rawEchoUs.p50))})`);
    add('getFrames of 16 <= 80 µs per frame', where, h.batch16PerFrameUs.p50, (v) => v <= 80, `${num(h.batch16PerFrameUs.p50)} µs`);
    add('hot-tier hit <= 5 µs', where, h.hotHitUs.p50, (v) => v <= 5, `${num(h.hotHitUs.p50, 2)} µs`);
  }
  return goals;
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
    `Runs: median of ${results.runs} (after one warm-up round)${results.quick ? ', --quick' : ''}` +
      (results.isolated === undefined ? '.' : `; page cross-origin isolated: ${results.isolated ? 'yes (COOP/COEP, 5 µs clock)' : 'NO (clock coarsened)'}.`),
  );
  const busiest = Math.max(...[m.loadStart, m.loadEnd].map((l) => Number(String(l ?? '0').split(' ')[0])));
  if (Number.isFinite(busiest) && busiest > (m.cores ?? 1)) {
    out.push(`Note: the machine was busy (1-min load average up to ${busiest.toFixed(1)} on ${m.cores} cores): figures are noisy; compare ratios within one run.`);
  }
  for (const [config, data] of Object.entries(results.configs ?? {})) {
    const label = /** @type {Record<string, string>} */ (CONFIG_LABEL)[config] ?? config;
    if (data.cold) out.push('', `### Cold read, ${results.level?.description ?? '768-frame level'} — ${label}`, '', coldTable(data.cold), '', framesCheck(data.cold));
    if (data.reload) out.push('', `### Reload from IndexedDB — ${label}`, '', reloadTable(data.reload, data.cold ?? {}));
    if (data.trace) out.push('', `### Viewer trace (${results.trace?.views ?? '?'} views, ${results.trace?.tiles ?? '?'} tiles) — ${label}`, '', traceTable(data.trace));
    if (data.scale) out.push('', `### Scale: synthetic levels, ~2 KiB frames — ${label}`, '', scaleTable(data.scale));
  }
  if (results.hits) out.push('', '### Hit path (bench:hits)', '', hitsTable(results.hits));
  if (results.parse) out.push('', '### Parsers (bench:parse)', '', parseTable(results.parse));
  const goals = evaluateGoals(results);
  if (goals.length > 0) {
    const rows = goals.map((g) => [g.goal, g.where, g.measured, g.met === undefined ? 'n/a' : g.met ? 'met' : 'MISSED']);
    out.push('', '### Goals', '', table(['goal', 'where', 'measured', ''], rows));
  }
  return out.join('\n');
}
