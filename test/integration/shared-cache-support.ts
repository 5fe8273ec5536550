// Helpers of shared-cache.test.ts: the test page built with Vite (the module from src, its worker
// emitted as its own file), viewer traces over the 'jpeg' sample slide, and the requests that
// reached Orthanc read back from the recording proxy's log.
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import type { ProxyLogEntry } from '../../scripts/lib/proxy.mjs';
import type { OrthancSlide } from '../setup/orthanc-context.js';
import type { PageView, ViewResult } from './shared-cache-page/main.js';

export const PAGE_SRC = resolve(import.meta.dirname, 'shared-cache-page');
export const FRAMES_ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=*';

/** Production build of the test page into `outDir` (as a viewer's bundler would build it). */
export async function buildSharedCachePage(outDir: string): Promise<void> {
  const { build } = await import('vite');
  await build({
    configFile: false,
    root: PAGE_SRC,
    base: './',
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, target: 'es2022', sourcemap: false, reportCompressedSize: false },
    worker: { format: 'es' },
  });
}

/** A view: a rectangle of tiles (columns x rows from a top-left tile) of one level. */
export interface TraceStep {
  level: number;
  column: number;
  row: number;
  columns?: number;
  rows?: number;
}

/** The page views of `steps` on `slide` (one instance per level, row-major frames, 256 px tiles). */
export function traceViews(slide: OrthancSlide, steps: readonly TraceStep[]): PageView[] {
  const seriesPath = new URL(slide.seriesUrl).pathname;
  return steps.map(({ level: index, column, row, columns = 6, rows = 5 }) => {
    const level = slide.levels[index]!;
    const instance = level.instances[0]!;
    const across = Math.ceil(level.width / level.tileWidth);
    const down = Math.ceil(level.height / level.tileHeight);
    const frameNumbers: number[] = [];
    for (let y = row; y < Math.min(down, row + rows); y++) {
      for (let x = column; x < Math.min(across, column + columns); x++) frameNumbers.push(y * across + x + 1);
    }
    return {
      path: `${seriesPath}/instances/${instance.sopInstanceUid}`,
      frameCount: instance.frameCount,
      frameNumbers,
    };
  });
}

/** What one request that reached the archive asked for: a frame list or the whole instance. */
export interface ArchiveRequest {
  instanceUid: string;
  /** undefined: the whole instance. */
  frameNumbers: number[] | undefined;
  bytes: number;
}

/** The WADO-RS reads among the proxy's log entries (metadata and other requests left out). */
export function archiveRequests(log: readonly ProxyLogEntry[]): ArchiveRequest[] {
  const out: ArchiveRequest[] = [];
  for (const entry of log) {
    const match = /\/instances\/([^/?]+)(?:\/frames\/([\d,]+))?\/?$/.exec(entry.path);
    if (match === null || entry.method !== 'GET') continue;
    out.push({ instanceUid: match[1]!, frameNumbers: match[2]?.split(',').map(Number), bytes: entry.bytes });
  }
  return out;
}

/**
 * Background (block) reads among the requests of one view: the whole instance, or a frame list
 * with a frame the view did not show. A request of only visible frames is the view's own
 * (small, specific, not meant to be shared: docs/http-caching.md).
 */
export function blockRequests(requests: readonly ArchiveRequest[], view: PageView): ArchiveRequest[] {
  const visible = new Set(view.frameNumbers);
  const uid = view.path.slice(view.path.lastIndexOf('/') + 1);
  return requests.filter(
    (r) => r.frameNumbers === undefined || r.instanceUid !== uid || r.frameNumbers.some((n) => !visible.has(n)),
  );
}

/** Keys `uid#frame` that two requests both asked for (a whole instance covers `frameCount` frames). */
export function framesAskedTwice(
  requests: readonly ArchiveRequest[],
  frameCounts: ReadonlyMap<string, number>,
): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const r of requests) {
    const frames = r.frameNumbers ?? Array.from({ length: frameCounts.get(r.instanceUid) ?? 0 }, (_, i) => i + 1);
    for (const n of frames) {
      const key = `${r.instanceUid}#${n}`;
      if (seen.has(key)) twice.add(key);
      seen.add(key);
    }
  }
  return [...twice];
}

/** One context's reading of a trace, view by view, with the archive requests each view caused. */
export interface TraceReading {
  views: { view: PageView; result: ViewResult; requests: ArchiveRequest[] }[];
  digests: Map<string, string>;
}

export async function readTrace(
  page: Page,
  views: readonly PageView[],
  proxyLog: ProxyLogEntry[],
  options: Record<string, unknown> = {},
): Promise<TraceReading> {
  await page.evaluate((o) => window.sharedCacheTest.open(o), options);
  const reading: TraceReading = { views: [], digests: new Map() };
  for (const view of views) {
    const before = proxyLog.length;
    const result = await page.evaluate((v) => window.sharedCacheTest.readView(v), view);
    reading.views.push({ view, result, requests: archiveRequests(proxyLog.slice(before)) });
    view.frameNumbers.forEach((n, i) => reading.digests.set(`${view.path}#${n}`, result.digests[i]!));
  }
  await page.evaluate(() => window.sharedCacheTest.close());
  if (process.env.DWFC_DEBUG_SHARED) {
    for (const v of reading.views)
      console.log(
        v.view.frameNumbers.join(','),
        '->',
        v.requests
          .map(
            (r) =>
              `${r.instanceUid.slice(-6)}:${r.frameNumbers === undefined ? 'instance' : r.frameNumbers.length > 8 ? `${r.frameNumbers[0]}..${r.frameNumbers.at(-1)}(${r.frameNumbers.length})` : r.frameNumbers.join(',')}`,
          )
          .join(' '),
      );
  }
  return reading;
}
