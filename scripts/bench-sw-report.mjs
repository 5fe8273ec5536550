// The Markdown tables of `npm run bench:sw` (scripts/bench-service-worker.mjs) from its rows:
// medians over runs, ratios taken within one run and profile.

export const median = (values) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const ms = (v) => (Number.isFinite(v) ? `${v.toFixed(0)} ms` : '-');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : '-');

/** Plain per-tile fetch client rows. */
export function formatPlainTable(rows, trace) {
  const lines = [
    `Plain per-tile fetch client, ${trace.views} views (${trace.tiles} tile GETs), 768-frame level; median of runs:`,
    '',
    '| link | client | first view | later views (median) | frame requests to Orthanc | first view again after the worker was stopped | first view faster | requests fewer |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const link of new Set(rows.map((r) => r.link))) {
    const of = (mode) => rows.filter((r) => r.link === link && r.mode === mode);
    const n = of('network');
    const s = of('service-worker');
    const first = { n: median(n.map((r) => r.firstViewMs)), s: median(s.map((r) => r.firstViewMs)) };
    const requests = { n: median(n.map((r) => r.requests)), s: median(s.map((r) => r.requests)) };
    lines.push(
      `| ${link} | plain fetch | ${ms(first.n)} | ${ms(median(n.map((r) => r.laterViewsMedianMs)))} | ${requests.n} | - | | |`,
      `| ${link} | + serveFrames | ${ms(first.s)} | ${ms(median(s.map((r) => r.laterViewsMedianMs)))} | ${requests.s} | ` +
        `${ms(median(s.map((r) => r.afterStopMs)))}, ${median(s.map((r) => r.afterStopRequests))} requests | ` +
        `${ratio(first.n, first.s)} | ${ratio(requests.n, requests.s)} |`,
    );
  }
  return lines.join('\n');
}

const MODE_LABEL = {
  network: 'DMV alone',
  'service-worker': 'DMV + serveFrames',
  'frames-cached': 'floor: every first-view frame in the worker',
};

/** dicom-microscopy-viewer rows: the first view split into the viewer's own start and its tiles. */
export function formatDmvTable(rows) {
  const lines = [
    'dicom-microscopy-viewer 0.48.24, unmodified: first view (ms since navigation start, HTTP cache cold in every mode), then 3 zooms + 6 pans; median of runs:',
    '',
    '| link | client | first view | until the first tile | tiles of the first view | of which tile answers | later views (median) | later views (max) | frame requests to Orthanc (first view / trace / during the pans) | first view faster | tiles phase faster | requests fewer |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const link of new Set(rows.map((r) => r.link))) {
    const base = rows.filter((r) => r.link === link && r.mode === 'network');
    const baseFirst = median(base.map((r) => r.firstViewMs));
    const basePhase = median(base.map((r) => r.framePhaseMs));
    const baseRequests = median(base.map((r) => r.requests));
    for (const mode of Object.keys(MODE_LABEL)) {
      const of = rows.filter((r) => r.link === link && r.mode === mode);
      if (of.length === 0) continue;
      const later = of.flatMap((r) => r.laterViewsMs ?? []);
      const first = median(of.map((r) => r.firstViewMs));
      const phase = median(of.map((r) => r.framePhaseMs));
      const requests = median(of.map((r) => r.requests));
      const own = mode === 'network';
      lines.push(
        `| ${link} | ${MODE_LABEL[mode]} | ${ms(first)} | ${ms(median(of.map((r) => r.beforeFirstTileMs)))} | ${ms(phase)} | ` +
          `${ms(median(of.map((r) => r.frameFetchMs)))} | ${later.length > 0 ? ms(median(later)) : '-'} | ` +
          `${later.length > 0 ? ms(Math.max(...later)) : '-'} | ${median(of.map((r) => r.firstViewRequests))} / ` +
          `${Number.isFinite(requests) ? `${requests} / ${median(of.map((r) => r.panRequests))}` : '-'} | ` +
          `${own ? '' : ratio(baseFirst, first)} | ${own ? '' : ratio(basePhase, phase)} | ${own || !Number.isFinite(requests) ? '' : ratio(baseRequests, requests)} |`,
      );
    }
  }
  return lines.join('\n');
}
