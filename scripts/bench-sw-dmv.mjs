// The dicom-microscopy-viewer rows of `npm run bench:sw`: the unmodified viewer (demo/dmv.html,
// production build, scripts/lib/dmv-page.mjs) on the sample slide, without and with serveFrames,
// on loopback and on the emulated links of the scheduling work (scripts/lib/link-proxy.mjs:
// HTTPS + HTTP/2, a round trip per request, one shared bandwidth; the page, the viewer's bundle
// and every DICOMweb request cross it). The trace (scripts/lib/dmv-trace.mjs): the first view,
// then 3 wheel zooms and 6 drags, each until its view is complete.
//
// Modes, each run in a fresh browser profile that first opens the page once in its own mode
// (the worker installs, the connection to the origin opens, Orthanc's storage cache is warm):
//  - 'network': the viewer alone;
//  - 'service-worker': the browser then stops every service worker (as Chromium does after
//    ~30 s idle), so the measured visit starts it with its memory empty;
//  - 'frames-cached': the worker keeps the frames of the first visit: the first view's frames
//    cost no request at all, the floor of what any frame cache can give the first view.
// Before the measured visit the HTTP cache is cleared (CDP) in every mode: the viewer's bundle,
// metadata, ICC profiles and codecs are fetched again, equally.
import { addVolumeImageType, buildDmvPage, startBuiltDmvPage } from './lib/dmv-page.mjs';
import { DMV_ZOOMS, dmvUrl, openDmv, runDmvSteps } from './lib/dmv-trace.mjs';
import { LINK_PROFILES, makeSelfSignedCertificate, startLinkProxy } from './lib/link-proxy.mjs';
import { spkiHash, withFreshProfile } from './lib/sw-bench-browser.mjs';

export const DMV_PROFILES = ['loopback', '20ms-200mbit', '80ms-40mbit'];
export const DMV_MODES = ['network', 'service-worker', 'frames-cached'];
const VIEWPORT = { width: 1024, height: 768 };

const frameRequests = (log) => log.filter((e) => e.path.includes('/frames/'));
const framesIn = (entry) => entry.path.slice(entry.path.lastIndexOf('/frames/') + 8).split(',').length;

/** The first view's tile answers as the page saw them: first request sent to last answer in (Resource Timing). */
const frameFetchOf = (page, until) =>
  page.evaluate((end) => {
    const frames = performance
      .getEntriesByType('resource')
      .filter((e) => e.name.includes('/frames/') && e.startTime <= end);
    return {
      startedAt: Math.min(...frames.map((e) => e.startTime)),
      endedAt: Math.max(...frames.map((e) => e.responseEnd)),
    };
  }, until);

async function runOnce({ spki, dmvPage, origin, slide, mode }) {
  return withFreshProfile({ spki, viewport: VIEWPORT }, async (context, page) => {
    const url = dmvUrl(origin, slide, mode !== 'network');
    await openDmv(page, url);
    await page.goto('about:blank');
    const cdp = await context.newCDPSession(page);
    if (mode === 'service-worker') {
      await cdp.send('ServiceWorker.enable');
      await cdp.send('ServiceWorker.stopAllWorkers');
    }
    await cdp.send('Network.clearBrowserCache');
    dmvPage.log.length = 0;
    const first = await openDmv(page, url);
    const fetch = await frameFetchOf(page, first.at);
    const firstViewRequests = frameRequests(dmvPage.log).length;
    const row = {
      firstViewMs: first.at,
      // The viewer's own start (page, bundle, metadata, ICC profiles, codecs) until its first tile...
      beforeFirstTileMs: first.tiles.firstStartedAt,
      // ...then its first view's tiles, from the first one started to the complete view...
      framePhaseMs: first.at - first.tiles.firstStartedAt,
      // ...of which the tile answers: first request sent to last answer in.
      frameFetchMs: fetch.endedAt - fetch.startedAt,
      firstViewTiles: first.tiles.started,
      firstViewRequests,
    };
    // The floor mode measures the first view only (later views of a warm worker say nothing new).
    if (mode === 'frames-cached') return row;
    // Frame requests reaching Orthanc by the end of each step (the zooms, then the pans).
    const stepRequests = [];
    const laterViewsMs = await runDmvSteps(page, {
      afterStep: async () => void stepRequests.push(frameRequests(dmvPage.log).length),
    });
    const requests = frameRequests(dmvPage.log);
    const stats = mode === 'service-worker' ? await page.evaluate(() => window.dmvDemo.stats()) : undefined;
    return {
      ...row,
      laterViewsMs,
      stepRequests,
      // Requests made while panning at the base level, after the last zoom's view was complete.
      panRequests: requests.length - stepRequests[DMV_ZOOMS - 1],
      requests: requests.length,
      requestFrames: requests.map(framesIn),
      tiles: (await page.evaluate(() => window.dmvDemo.tiles())).started,
      ...(stats === undefined
        ? {}
        : {
            served: stats.served,
            frameRequests: stats.frameRequests,
            plans: stats.plans,
            passed: stats.passedThrough,
          }),
    };
  });
}

/**
 * @param {{ orthancUrl: string, slide: { studyInstanceUid: string, seriesInstanceUid: string },
 *   runs: number, profiles?: string[], log?: (line: string) => void }} options
 */
export async function benchDmv({ orthancUrl, slide, runs, profiles = DMV_PROFILES, log = console.log }) {
  await addVolumeImageType(orthancUrl, slide.seriesInstanceUid);
  await buildDmvPage();
  const dmvPage = await startBuiltDmvPage({ target: orthancUrl });
  const certificate = makeSelfSignedCertificate();
  const spki = spkiHash(certificate);
  const results = [];
  try {
    // Unmeasured: Orthanc reads every level the trace visits into its storage cache.
    await withFreshProfile({ spki, viewport: VIEWPORT }, async (_, page) => {
      await openDmv(page, dmvUrl(dmvPage.url, slide, false));
      await runDmvSteps(page);
    });
    for (const profile of profiles) {
      const link = LINK_PROFILES[profile];
      if (link === undefined && profile !== 'loopback') throw new Error(`Unknown link profile ${profile}`);
      const proxy =
        link === undefined ? undefined : await startLinkProxy({ target: dmvPage.url, ...link, certificate });
      dmvPage.setPublicOrigin(proxy?.url);
      try {
        for (let run = 0; run < runs; run++) {
          for (const mode of DMV_MODES) {
            const row = await runOnce({ spki, dmvPage, origin: proxy?.url ?? dmvPage.url, slide, mode });
            log(
              `[bench-sw-dmv] ${profile} ${mode} run ${run + 1}/${runs}: first view ${row.firstViewMs.toFixed(0)} ms ` +
                `(first tile ${row.beforeFirstTileMs.toFixed(0)} ms, tile answers ${row.frameFetchMs.toFixed(0)} ms)` +
                (row.requests === undefined ? '' : `, ${row.requests} frame requests`),
            );
            results.push({ link: profile, mode, run, ...row });
          }
        }
      } finally {
        dmvPage.setPublicOrigin(undefined);
        await proxy?.stop();
      }
    }
  } finally {
    await dmvPage.stop();
  }
  return results;
}
