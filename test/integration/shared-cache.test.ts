// A shared HTTP cache in front of the archive (docs/http-caching.md): nginx with proxy_cache
// (scripts/lib/nginx.mjs) in front of the recording proxy in front of the test Orthanc, and
// headless Chromium with one browser context per user (separate profiles: no shared HTTP cache
// or worker). Every request that reaches Orthanc is in the proxy's log.
//   Chromium contexts -> nginx (page + /dicom-web/ cached) -> recording proxy -> Orthanc
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/lib/chromium.mjs';
import { startNginx, type NginxServer } from '../../scripts/lib/nginx.mjs';
import { startOrthanc, uploadDicomFiles, type OrthancServer } from '../../scripts/lib/orthanc.mjs';
import { startProxy, type TestProxy } from '../../scripts/lib/proxy.mjs';
import {
  FRAMES_ACCEPT,
  archiveRequests,
  blockRequests,
  buildSharedCachePage,
  framesAskedTwice,
  readTrace,
  traceViews,
  type TraceReading,
  type TraceStep,
} from './shared-cache-support.js';

const orthanc = inject('orthanc');
const slide = orthanc.slides.jpeg;
const frameCounts = new Map(
  slide.levels.flatMap((level) => level.instances.map((i) => [i.sopInstanceUid, i.frameCount] as const)),
);

/** Overview, zoom in two levels, pan right twice, pan down: 6 x 5-tile views. */
const TRACE: TraceStep[] = [
  { level: 2, column: 1, row: 0 },
  { level: 0, column: 12, row: 8 },
  { level: 0, column: 14, row: 8 },
  { level: 0, column: 16, row: 8 },
  { level: 0, column: 16, row: 10 },
];
/** Another user: starts above-left of the first one's region and pans into it, offset by a tile. */
const OVERLAPPING_TRACE: TraceStep[] = [
  { level: 0, column: 9, row: 4 },
  { level: 0, column: 11, row: 6 },
  { level: 0, column: 13, row: 9 },
  { level: 0, column: 15, row: 11 },
];

let proxy: TestProxy;
let browser: Browser;
let pageDir: string;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  pageDir = mkdtempSync(join(tmpdir(), 'dwfc-shared-cache-page-'));
  [proxy, browser] = await Promise.all([
    startProxy({ target: orthanc.url }),
    chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS] }),
    buildSharedCachePage(pageDir),
  ]);
});

afterAll(async () => {
  await Promise.all(contexts.map((context) => context.close().catch(() => undefined)));
  await browser?.close();
  await proxy?.stop();
  if (pageDir !== undefined) rmSync(pageDir, { recursive: true, force: true });
});

/** A new user: a browser context of its own, on the test page served by `nginx`. */
async function openUser(nginx: NginxServer): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
  });
  await page.goto(`${nginx.url}/index.html`);
  await page.waitForFunction(() => window.sharedCacheTest !== undefined);
  return { page, errors };
}

function framesPath(level: number, frameNumbers: number[]): string {
  const instance = slide.levels[level]!.instances[0]!;
  return `${new URL(slide.seriesUrl).pathname}/instances/${instance.sopInstanceUid}/frames/${frameNumbers.join(',')}`;
}

describe('nginx proxy_cache in front of Orthanc', () => {
  let nginx: NginxServer;

  beforeAll(async () => {
    nginx = await startNginx({ upstream: proxy.url, staticRoot: pageDir });
  });

  afterAll(async () => {
    await nginx?.stop();
  });

  it('answers the same frames URL fetched by two browser contexts with one request at Orthanc (the second a HIT)', async () => {
    proxy.clearLog();
    const path = framesPath(0, [33, 34, 35, 36]);
    const first = await openUser(nginx);
    const second = await openUser(nginx);
    const a = await first.page.evaluate(([p, accept]) => window.sharedCacheTest.fetchOnce(p, accept), [
      path,
      FRAMES_ACCEPT,
    ] as const);
    const b = await second.page.evaluate(([p, accept]) => window.sharedCacheTest.fetchOnce(p, accept), [
      path,
      FRAMES_ACCEPT,
    ] as const);
    expect(a).toMatchObject({ status: 200, cacheStatus: 'MISS' });
    expect(b).toMatchObject({ status: 200, cacheStatus: 'HIT', digest: a.digest });
    expect(proxy.log.filter((entry) => entry.path === path)).toHaveLength(1);
    expect([...first.errors, ...second.errors]).toEqual([]);
  });

  it('keys the cache by Accept: another representation of the same URL is not served from it', async () => {
    proxy.clearLog();
    const path = framesPath(0, [37]);
    const url = `${nginx.url}${path}`;
    const octets = await fetch(url, { headers: { Accept: FRAMES_ACCEPT } });
    await octets.arrayBuffer();
    const jpeg = await fetch(url, { headers: { Accept: 'multipart/related; type="image/jpeg"; transfer-syntax=*' } });
    await jpeg.arrayBuffer();
    expect([octets.headers.get('x-cache-status'), jpeg.headers.get('x-cache-status')]).toEqual(['MISS', 'MISS']);
    expect(proxy.log.filter((entry) => entry.path === path)).toHaveLength(2);
  });

  it('passes searches and metadata through uncached (they change as studies arrive)', async () => {
    proxy.clearLog();
    const path = `${new URL(slide.seriesUrl).pathname}/metadata`;
    for (let i = 0; i < 2; i++) {
      const response = await fetch(`${nginx.url}${path}`, { headers: { Accept: 'application/dicom+json' } });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-cache-status')).toBeNull();
      await response.arrayBuffer();
    }
    expect(proxy.log.filter((entry) => entry.path === path)).toHaveLength(2);
  });

  it('settledLog(): every answer a client received is in the log, in order, without the marks', async () => {
    const paths = [framesPath(2, [1]), framesPath(2, [2]), framesPath(2, [1])];
    for (const path of paths) {
      const response = await fetch(`${nginx.url}${path}`, { headers: { Accept: FRAMES_ACCEPT } });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    const settled = await nginx.settledLog();
    expect(settled.slice(-3).map((entry) => [entry.uri, entry.cache])).toEqual([
      [paths[0], 'MISS'],
      [paths[1], 'MISS'],
      [paths[2], 'HIT'],
    ]);
    // Marks are requests of their own: in the file, never in what settledLog() returns.
    expect(nginx.readLog().filter((entry) => entry.uri.startsWith('/__nginx/'))).toHaveLength(1);
    const again = await nginx.settledLog();
    expect(again).toEqual(settled);
  });

  describe('in front of an archive that requires credentials', () => {
    const alice = 'Basic ' + Buffer.from('alice:alice-password').toString('base64');
    const mallory = 'Basic ' + Buffer.from('alice:wrong').toString('base64');
    let privateOrthanc: OrthancServer;
    let path: string;

    beforeAll(async () => {
      privateOrthanc = await startOrthanc({ auth: { username: 'alice', password: 'alice-password' } });
      const level = slide.levels[2]!;
      await uploadDicomFiles(privateOrthanc, [level.instances[0]!.file]);
      path = framesPath(2, [1, 2]);
    });

    afterAll(async () => {
      await privateOrthanc?.stop();
    });

    async function statuses(server: NginxServer, credentials: (string | undefined)[]): Promise<string[]> {
      const out: string[] = [];
      for (const credential of credentials) {
        const headers: Record<string, string> = { Accept: FRAMES_ACCEPT };
        if (credential !== undefined) headers['Authorization'] = credential;
        const response = await fetch(`${server.url}${path}`, { headers });
        await response.arrayBuffer();
        out.push(`${response.status} ${response.headers.get('x-cache-status')}`);
      }
      return out;
    }

    it('public-only: requests with Authorization bypass the cache, so nobody is served an authenticated answer', async () => {
      const publicOnly = await startNginx({ upstream: privateOrthanc.url });
      try {
        expect(await statuses(publicOnly, [alice, alice, undefined, mallory])).toEqual([
          '200 BYPASS',
          '200 BYPASS',
          '401 MISS',
          '401 BYPASS',
        ]);
      } finally {
        await publicOnly.stop();
      }
    });

    it('per-credential: a user is served only answers fetched with the same Authorization', async () => {
      const keyed = await startNginx({ upstream: privateOrthanc.url, auth: 'per-credential' });
      try {
        expect(await statuses(keyed, [alice, alice, undefined, mallory, alice])).toEqual([
          '200 MISS',
          '200 HIT',
          '401 MISS',
          '401 MISS',
          '200 HIT',
        ]);
      } finally {
        await keyed.stop();
      }
    });
  });

  it("lets the browser's HTTP cache answer FrameCache's requests again when the server allows it", async () => {
    const cached = await startNginx({
      upstream: proxy.url,
      staticRoot: pageDir,
      browserCacheControl: 'private, max-age=600',
    });
    try {
      const user = await openUser(cached);
      const views = traceViews(slide, [{ level: 1, column: 2, row: 2 }]);
      // Block mode: what this test is about is the HTTP cache, not the whole-instance/block
      // choice (which the worker's mode learner may change between the two reads).
      const options = { wholeInstanceMaxFrames: 0 };
      const first = await readTrace(user.page, views, proxy.log, options);
      // Requests that reached nginx; settled: an answer's log line can follow its last byte.
      const wado = async (): Promise<number> =>
        (await cached.settledLog()).filter((entry) => entry.uri.startsWith('/dicom-web/')).length;
      const before = await wado();
      // This nginx is new: each of the first read's requests passed it to Orthanc, and they
      // were the view's frames and the chunks of its block (here the whole level).
      const firstRequests = first.views.flatMap((v) => v.requests);
      expect(before).toBe(firstRequests.length);
      expect(new Set(firstRequests.flatMap((r) => r.frameNumbers ?? [])).size).toBe(views[0]!.frameCount);
      expect(before).toBeGreaterThan(0);
      // A new FrameCache in the same profile (empty memory): its requests are the same URLs.
      const again = await readTrace(user.page, views, proxy.log, options);
      expect(await wado()).toBe(before);
      expect(again.digests).toEqual(first.digests);
      expect([...again.digests.values()].every((d) => d.length === 64)).toBe(true);
      expect(user.errors).toEqual([]);
    } finally {
      await cached.stop();
    }
  });
});

describe.each([
  ['defaults', {}],
  ['block mode (wholeInstanceMaxFrames 0)', { wholeInstanceMaxFrames: 0 }],
])('two users of one viewer trace through nginx, FrameCache %s', (_label, options) => {
  let nginx: NginxServer;
  let first: TraceReading | undefined;

  beforeAll(async () => {
    nginx = await startNginx({ upstream: proxy.url, staticRoot: pageDir });
  });

  afterAll(async () => {
    await nginx?.stop();
  });

  it('the second user causes no block request at Orthanc and gets byte-identical frames', async () => {
    const views = traceViews(slide, TRACE);
    const user1 = await openUser(nginx);
    first = await readTrace(user1.page, views, proxy.log, options);
    const firstRequests = first.views.flatMap((v) => v.requests);
    expect(firstRequests.length).toBeGreaterThan(0);
    expect([...first.digests.values()].every((d) => d.length === 64)).toBe(true);

    const user2 = await openUser(nginx);
    const second = await readTrace(user2.page, views, proxy.log, options);
    const secondBlocks = second.views.flatMap((v) => blockRequests(v.requests, v.view));
    expect(secondBlocks).toEqual([]);
    expect(second.digests).toEqual(first.digests);
    expect([...user1.errors, ...user2.errors]).toEqual([]);
  });

  it('a third user on an overlapping trace gets the shared blocks from nginx; Orthanc sees each block once', async () => {
    expect(first, 'the first user read the trace').toBeDefined();
    nginx.clearLog();
    const views = traceViews(slide, OVERLAPPING_TRACE);
    const user3 = await openUser(nginx);
    const third = await readTrace(user3.page, views, proxy.log, options);
    const hits = (await nginx.settledLog()).filter(
      (entry) => entry.uri.startsWith('/dicom-web/') && entry.cache === 'HIT',
    );
    expect(hits.length).toBeGreaterThan(0);
    // Frames both users saw are byte-identical.
    for (const [key, digest] of third.digests) {
      expect(digest).toHaveLength(64);
      if (first!.digests.has(key)) expect(digest).toBe(first!.digests.get(key));
    }
    const blocks = [first!, third].flatMap((reading) =>
      reading.views.flatMap((v) => blockRequests(v.requests, v.view)),
    );
    expect(framesAskedTwice(blocks, frameCounts)).toEqual([]);
    expect(user3.errors).toEqual([]);
  });
});

// The request log is read through archiveRequests(); keep its parser honest on a real entry shape.
describe('archiveRequests()', () => {
  it('reads frame lists and whole instances from WADO-RS paths and ignores the rest', () => {
    const base = { method: 'GET', status: 200, fault: undefined, start: 0, end: 1 };
    const requests = archiveRequests([
      { ...base, path: '/dicom-web/studies/1/series/2/instances/3/frames/5,6,7', bytes: 10 },
      { ...base, path: '/dicom-web/studies/1/series/2/instances/3', bytes: 20 },
      { ...base, path: '/dicom-web/studies/1/series/2/metadata', bytes: 30 },
    ]);
    expect(requests).toEqual([
      { instanceUid: '3', frameNumbers: [5, 6, 7], bytes: 10 },
      { instanceUid: '3', frameNumbers: undefined, bytes: 20 },
    ]);
  });
});
