// serveFrames in real Chromium against the real Orthanc (through the recording proxy): a plain
// per-tile fetch client inside the worker's scope gets answers whose parts are byte-identical
// to Orthanc's (headers and bodies), from a few block reads; everything else passes through;
// auth scopes keep two credentials' frames apart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from 'vitest/browser';
import type { SwClient } from './sw/client.js';
import { instanceOf, orthanc, proxyLog, resetProxy } from './faults-helpers.js';
import { FRAMES_ACCEPT, directAnswer, openClient, sameAnswer, viaClient } from './service-worker-helpers.js';

let client: SwClient;
const level = instanceOf('jpeg', 0); // 768 frames
const root = orthanc.proxy.dicomWebUrl;

beforeAll(async () => {
  client = await openClient();
  await client.register([root]);
});
afterAll(async () => {
  await client.unregister();
  for (const frame of document.querySelectorAll('iframe')) frame.remove();
});

function frameRequestsTo(log: { path: string }[], sop: string): number {
  return log.filter((e) => e.path.includes(sop) && e.path.includes('/frames/')).length;
}

describe('serveFrames (Chromium, Orthanc)', () => {
  it('answers a 30-tile view of single-frame GETs byte-identically to Orthanc, from few requests', async () => {
    await resetProxy();
    await client.resetStats();
    const tiles = Array.from({ length: 30 }, (_, i) => 100 + i * 3);
    const answers = await Promise.all(tiles.map((n) => viaClient(client, `${level.url}/frames/${n}`, FRAMES_ACCEPT)));
    const expected = await Promise.all(tiles.map((n) => directAnswer(`${level.url}/frames/${n}`, FRAMES_ACCEPT)));
    answers.forEach((answer, i) => {
      expect(answer.status).toBe(200);
      expect(answer.parts).toHaveLength(1);
      expect(answer.parts[0]!.headers['content-location']).toMatch(new RegExp(`/frames/${tiles[i]}$`));
      expect(sameAnswer(answer, expected[i]!), `tile ${tiles[i]}`).toBe(true);
    });
    const stats = await client.stats();
    expect(stats.frameRequests).toBe(30);
    expect(stats.served).toBe(30);
    const requests = frameRequestsTo(await proxyLog(), level.sopInstanceUid);
    expect(requests).toBeGreaterThan(0);
    expect(requests).toBeLessThanOrEqual(3); // the view's block(s), not 30 tile requests

    // A later pan over the same block: served without the network.
    await resetProxy();
    const later = await Promise.all(
      [101, 104, 250].map((n) => viaClient(client, `${level.url}/frames/${n}`, FRAMES_ACCEPT)),
    );
    expect(later.every((a) => a.status === 200 && a.parts.length === 1)).toBe(true);
    expect(frameRequestsTo(await proxyLog(), level.sopInstanceUid)).toBe(0);
  });

  it('answers a frame list in the requested order, repeats included, as Orthanc does', async () => {
    const url = `${level.url}/frames/9,3,7,3`;
    const [answer, expected] = await Promise.all([
      viaClient(client, url, FRAMES_ACCEPT),
      directAnswer(url, FRAMES_ACCEPT),
    ]);
    expect(answer.parts.map((p) => p.headers['content-location']?.replace(/.*\/frames\//, ''))).toEqual([
      '9',
      '3',
      '7',
      '3',
    ]);
    expect(sameAnswer(answer, expected)).toBe(true);
  });

  it("reads blocks with the viewer's own Accept and answers with the server's part type for it", async () => {
    const accept = 'multipart/related; type="image/jpeg"; transfer-syntax=1.2.840.10008.1.2.4.50';
    await client.resetStats();
    const url = `${level.url}/frames/600`;
    const [answer, expected] = await Promise.all([viaClient(client, url, accept), directAnswer(url, accept)]);
    expect(answer.parts[0]!.headers['content-type']).toBe('image/jpeg; transfer-syntax=1.2.840.10008.1.2.4.50');
    expect(sameAnswer(answer, expected)).toBe(true);
    const stats = await client.stats();
    expect(stats.served).toBe(1);
    expect(stats.scopes).toBeGreaterThanOrEqual(2); // one engine per Accept
  });

  it('passes metadata through untouched and learns NumberOfFrames from it', async () => {
    await client.resetStats();
    const url = `${level.url}/metadata`;
    const got = await client.fetch(url, { headers: { Accept: 'application/dicom+json' } });
    const direct = await fetch(`${orthanc.proxy.url}/__proxy/direct${new URL(url).pathname}`, {
      headers: { Accept: 'application/dicom+json' },
    });
    expect(got.status).toBe(200);
    expect(new TextDecoder().decode(got.body)).toBe(await direct.text());
    const stats = await client.stats();
    expect(stats.metadataSeen).toBe(1);
    expect(stats.frameCountsKnown).toBeGreaterThanOrEqual(1);
  });

  it('leaves Range, non-multipart Accept, non-GET and out-of-range requests to the server', async () => {
    await client.resetStats();
    await resetProxy();
    const url = `${level.url}/frames/5`;
    const ranged = await client.fetch(url, { headers: { Accept: FRAMES_ACCEPT, Range: 'bytes=0-9' } });
    const single = await client.fetch(url, { headers: { Accept: 'image/jpeg' } });
    const post = await client.fetch(url, { method: 'POST', headers: { Accept: FRAMES_ACCEPT } });
    const beyond = await client.fetch(`${level.url}/frames/${level.frameCount + 1}`, {
      headers: { Accept: FRAMES_ACCEPT },
    });
    const direct = await directAnswer(`${level.url}/frames/${level.frameCount + 1}`, FRAMES_ACCEPT);
    expect(beyond.status).toBe(direct.status);
    expect(beyond.status).toBeGreaterThanOrEqual(400);
    const stats = await client.stats();
    expect(stats.served).toBe(0);
    expect(stats.frameRequests).toBe(1); // only the out-of-range one was looked at, then passed
    expect(stats.passedThrough['frames-missing']).toBe(1);
    const log = (await proxyLog()).filter((e) => e.path.includes('/frames/'));
    expect(log.map((e) => e.method).sort()).toEqual(['GET', 'GET', 'GET', 'POST']);
    expect([ranged.status, single.status, post.status].every((s) => s > 0)).toBe(true);
  });

  it('routes all but frames and metadata past the worker (static routing API)', async () => {
    const own = new URL('./sw/client.html?routed', import.meta.url).href;
    const series = level.url.slice(0, level.url.indexOf('/instances/'));
    // Outside the roots, and under them QIDO and bulk data: the network, without the worker.
    for (const url of [own, `${series}/instances`, `${level.url}/bulkdata/00282000`]) {
      await client.fetch(url);
      expect(await client.routedTo(url), url).toBe('network');
    }
    // Frames and metadata under a root still reach the worker's fetch handler.
    const frame = `${level.url}/frames/3`;
    expect((await viaClient(client, frame, FRAMES_ACCEPT)).status).toBe(200);
    const metadata = `${series}/metadata`;
    expect((await client.fetch(metadata)).status).toBe(200);
    for (const url of [frame, metadata]) expect(await client.routedTo(url), url).not.toBe('network');
  });

  it('starts a stopped worker as soon as the page helper finds it in control, before any request', async () => {
    await commands.stopServiceWorkers();
    await expect.poll(() => commands.serviceWorkerStatus('/sw/sw.ts'), { timeout: 10_000 }).toEqual(['stopped']);
    // The page registers again, as on its next visit: no request, no message but the helper's own.
    await client.register([root]);
    await expect.poll(() => commands.serviceWorkerStatus('/sw/sw.ts'), { timeout: 10_000 }).toEqual(['running']);
  });

  it("keeps frames per auth scope: a second credential never gets the first one's frames", async () => {
    await client.resetStats();
    await resetProxy();
    const url = `${level.url}/frames/700`;
    // Each read's background chunks have ended before the proxy log is counted.
    const settled = async () => {
      await expect
        .poll(
          async () => {
            const { cache } = await client.stats();
            return cache.inFlight + cache.queued;
          },
          { timeout: 30_000 },
        )
        .toBe(0);
      return frameRequestsTo(await proxyLog(), level.sopInstanceUid);
    };
    const a = await viaClient(client, url, FRAMES_ACCEPT, { Authorization: 'Bearer user-a' });
    const afterA = await settled();
    const b = await viaClient(client, url, FRAMES_ACCEPT, { Authorization: 'Bearer user-b' });
    const afterB = await settled();
    const a2 = await viaClient(client, url, FRAMES_ACCEPT, { Authorization: 'Bearer user-a' });
    const afterA2 = await settled();
    expect(a.status).toBe(200);
    expect(sameAnswer(a, b)).toBe(true);
    expect(sameAnswer(a, a2)).toBe(true);
    expect(afterA).toBeGreaterThanOrEqual(1);
    expect(afterB).toBeGreaterThan(afterA); // user b's own block read
    expect(afterA2).toBe(afterB); // user a's frames still cached for user a
    // A namespace set by the page is a scope of its own too.
    await client.setNamespace('another-user');
    await viaClient(client, url, FRAMES_ACCEPT, { Authorization: 'Bearer user-a' });
    expect(frameRequestsTo(await proxyLog(), level.sopInstanceUid)).toBeGreaterThan(afterA2);
    await client.setNamespace('');
  });
});
