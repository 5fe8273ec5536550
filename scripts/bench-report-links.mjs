// The tables of the viewer trace on emulated links (scripts/bench-links.mjs): one per profile,
// every peer's medians, with the clocks and what they leave out stated under each table.
import { num, ratio, times } from './bench-goals.mjs';
import { table } from './bench-report.mjs';

/** @typedef {Record<string, any>} Json */

/**
 * How many first views each trace peer's first-view median has: one figure, or the range where a
 * run failed somewhere.
 * @param {Json} links
 */
export function firstViewCount(links) {
  const counts = Object.values(links.profiles ?? {}).flatMap((p) =>
    Object.values(p.peers ?? {}).map((peer) => peer.firstViewSamples ?? peer.runs?.length ?? 0),
  );
  if (counts.length === 0) return '?';
  const low = Math.min(...counts);
  const high = Math.max(...counts);
  return low === high ? String(low) : `${low}-${high}`;
}

/**
 * The first view's extra runs for the peers a goal compares (bench-links.mjs FIRST_VIEW_FOCUS).
 * @param {Json | undefined} focus
 */
function focusText(focus) {
  if (!focus || !(focus.runs > 0) || !Array.isArray(focus.profiles) || focus.profiles.length === 0) return '';
  return `; on ${focus.profiles.join(', ')} the peers ${focus.peers.join(', ')} ${focus.runs} more, alternated, so the first view's ratios come with a 95% interval round by round`;
}

/** @param {Json} results */
export function traceClocks(results) {
  const links = results.links ?? {};
  return (
    `Clocks: "setup" = worker start + engine build (module; the worker's start alone for the SharedWorker peers; 0 for the others), before the trace; "first view" = the overview's ` +
    `tiles asked for -> all resolved; "cold page" = setup + first view; "later views" = every other view, same clock; ` +
    `"sum of views" leaves out setup and the ${links.pauseMs ?? '?'} ms pause the user takes after each painted view (loads in the background go on during it); ` +
    `"wall" = first view asked for -> last view painted, pauses included (${results.trace?.views ?? '?'} views, so ${num(((results.trace?.views ?? 1) - 1) * (links.pauseMs ?? 0))} ms of pauses), setup left out. ` +
    `"requests" and "MB" are what the bench server forwarded to Orthanc for DICOMweb paths (page and worker script left out). ` +
    `"waited" = views with at least one tile not in memory when the view started (for peers without a cache: every view). ` +
    `Fresh browser context per run; median of ${links.runs ?? '?'} run(s)${
      links.firstViewRuns
        ? `, first view and cold page of ${firstViewCount(links)} (those runs' first views and ${links.firstViewRuns} runs of the first view alone, bar any that failed${focusText(links.focus)})`
        : ''
    }; per-tile peers ${links.tileConcurrency ?? '?'} requests in flight; the module gets every tile of a view at once.`
  );
}

/** @param {Json} profile @param {Json} results */
function profileTable(profile, results) {
  const peers = profile.peers ?? {};
  const view = peers['view']?.median ?? {};
  const tile = peers['tile']?.median ?? {};
  const views = results.trace?.views ?? '?';
  const rows = Object.entries(peers).map(([key, peer]) => {
    const m = peer.median ?? {};
    return [
      peer.error ? `${peer.label} (failed: ${String(peer.error).slice(0, 50)})` : peer.label,
      num(m.setupMs),
      num(m.firstViewMs),
      num(m.coldPageMs),
      num(m.laterMedianMs, 1),
      num(m.laterMaxMs),
      num(m.sumViewMs),
      num(m.wallMs),
      num(m.requests),
      num(m.serverBytes / 1e6, 2),
      `${num(m.waitedViews)} / ${views}`,
      key === 'view' ? '' : times(ratio(m.firstViewMs, view.firstViewMs)),
      key === 'view' ? '' : times(ratio(m.sumViewMs, view.sumViewMs)),
      key === 'tile' ? '' : times(ratio(tile.sumViewMs, m.sumViewMs)),
    ];
  });
  return table(
    [
      'peer (median of runs)',
      'setup ms',
      'first view ms',
      'cold page ms',
      'later views median ms',
      'slowest later ms',
      'sum of views ms',
      'wall ms',
      'requests',
      'MB',
      'views waited',
      'first view / per-view',
      'sum / per-view',
      'faster than per-tile',
    ],
    rows,
  );
}

/** @param {Json | null} link */
export function profileTitle(name, link) {
  return link
    ? `${name}: HTTPS + HTTP/2 proxy, round trip ${link.rttMs} ms per request, ${link.megabitsPerSecond} Mbit/s shared by all answers`
    : `${name}: no proxy (HTTP/1.1 on 127.0.0.1)`;
}

/** @param {Json} results @returns {string[]} lines */
export function linksTables(results) {
  const links = results.links ?? {};
  const out = [
    '',
    `### Viewer trace on emulated links (${results.trace?.views ?? '?'} views, ${results.trace?.tiles ?? '?'} tiles, ${links.pauseMs ?? '?'} ms pause after each view)`,
  ];
  for (const [name, profile] of Object.entries(links.profiles ?? {})) {
    out.push('', `#### ${profileTitle(name, profile.link)}`, '', profileTable(profile, results));
    const p = profile.proxy;
    if (p)
      out.push(
        '',
        `Through the link in this profile (every run, page and worker script included): ${p.requests} requests, ${p.http2} of them over HTTP/2, ${num(p.pacedBytes / 1e6, 1)} MB paced, ${p.aborted} cancelled by the browser.`,
      );
  }
  out.push('', traceClocks(results));
  if (links.consoleErrors?.length)
    out.push('', `Console errors during the trace: ${links.consoleErrors.slice(0, 3).join(' | ')}`);
  return out;
}
