// Security against the real Orthanc through the fault proxy (Node): a malicious metadata answer
// cannot send requests (or the user's headers) to another origin, and auth header values never
// reach logs, stats or error messages, faults or not.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fault } from '../../scripts/lib/proxy.mjs';
import { FrameCacheEngine } from '../../src/platform/frame-cache-engine.js';
import { openSlide } from '../../src/slide/slide.js';
import {
  checkReturned,
  newFigures,
  orthanc,
  proxiedSeriesUrl,
  proxyLog,
  recordingLogger,
  recordingTimers,
  referenceFrames,
  resetProxy,
  setFault,
  trackUnhandledRejections,
  type TestInstance,
} from './faults-support.js';

/** Another loopback origin that counts every request it gets (and answers each one). */
async function startEvilServer(): Promise<{
  url: string;
  requests: { method: string; url: string; headers: http.IncomingHttpHeaders }[];
  stop(): Promise<void>;
}> {
  const requests: { method: string; url: string; headers: http.IncomingHttpHeaders }[] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    res
      .writeHead(200, { 'access-control-allow-origin': '*', 'content-type': 'application/octet-stream' })
      .end('stolen');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function textOf(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Error) return { name: v.name, message: v.message, stack: v.stack, cause: v.cause };
    if (v instanceof Uint8Array) return Buffer.from(v).toString('latin1');
    return v;
  });
}

let unhandled: ReturnType<typeof trackUnhandledRejections>;
beforeAll(() => {
  unhandled = trackUnhandledRejections();
});
afterAll(() => {
  unhandled.stop();
  expect(unhandled.reasons).toEqual([]);
});

describe('openSlide() with a malicious metadata answer', () => {
  it('resolves instance URLs against the series only: another origin gets no request and no header', async () => {
    const evil = await startEvilServer();
    try {
      const secret = `Bearer evil-test-${crypto.randomUUID()}`;
      const headerUrls: string[] = [];
      const headers = (url: string) => {
        headerUrls.push(url);
        return { Authorization: secret };
      };
      const seriesUrl = proxiedSeriesUrl('split');
      await resetProxy();
      await setFault({ mode: 'evil-metadata', origin: evil.url, match: '/metadata', times: 2 });
      // The answer as served: bulk data and retrieve URLs at the other origin, bad UIDs.
      const served = await (
        await fetch(`${seriesUrl}/metadata`, { headers: { Accept: 'application/dicom+json' } })
      ).text();
      expect(served).toContain(`"BulkDataURI":"${evil.url}/bulk/`);
      expect(served).toContain(`"00081190":{"vr":"UR","Value":["${evil.url}/`);
      expect(served).toContain('../../../../evil');
      const slide = await openSlide(seriesUrl, { headers });
      expect((await proxyLog()).map((e) => e.fault)).toEqual(['evil-metadata', 'evil-metadata']);

      const instances = [...slide.levels, ...slide.ancillary].flatMap((level) => level.instances);
      // 12 instances; the first 4 datasets got path-traversal or URL "UIDs" and are skipped.
      expect(instances).toHaveLength(orthanc.slides.split.levels.reduce((sum, l) => sum + l.instances.length, 0) - 4);
      for (const instance of instances) {
        expect(instance.url.startsWith(`${seriesUrl}/instances/`)).toBe(true);
        expect(instance.url.slice(`${seriesUrl}/instances/`.length)).toMatch(/^[0-9]+(\.[0-9]+)*$/);
        expect(instance.url).not.toContain(evil.url.slice('http://'.length));
      }

      // Read every frame of every instance left, in block mode and whole-instance mode.
      const figures = newFigures();
      const blocks = new FrameCacheEngine({ headers, wholeInstanceMaxFrames: 0 });
      const whole = new FrameCacheEngine({ headers });
      for (const instance of instances) {
        const direct: TestInstance = {
          sopInstanceUid: instance.sopInstanceUid,
          frameCount: instance.frameCount,
          url: instance.url,
          directUrl: instance.url.replace(orthanc.proxy.url, orthanc.url),
        };
        const reference = await referenceFrames(direct);
        const all = Array.from({ length: instance.frameCount }, (_, i) => i + 1);
        for (const engine of [blocks, whole]) {
          expect(checkReturned(figures, await engine.getFrames(instance, all), all, reference)).toBe(
            instance.frameCount,
          );
        }
      }
      await Promise.all([blocks.close(), whole.close()]);
      expect(figures.wrongFrames).toBe(0);

      expect(evil.requests).toEqual([]);
      expect(headerUrls.length).toBeGreaterThan(instances.length);
      for (const url of headerUrls) expect(url.startsWith(seriesUrl)).toBe(true);
      const seriesPath = new URL(seriesUrl).pathname;
      for (const entry of await proxyLog()) expect(entry.path.startsWith(seriesPath)).toBe(true);
    } finally {
      await evil.stop();
    }
  });
});

describe('auth header values', () => {
  it('never reach logs, stats or error messages, through faults on frames, instances and metadata', async () => {
    const secret = `s3cr3t-${crypto.randomUUID()}`;
    const logger = recordingLogger();
    let calls = 0;
    const headers = () => {
      calls++;
      return { Authorization: `Bearer ${secret}`, 'X-Api-Key': secret };
    };
    const seriesUrl = proxiedSeriesUrl('jpeg');
    const timers = recordingTimers(300);
    const errors: unknown[] = [];
    const faults: Omit<Fault, 'match'>[] = [
      { mode: 'status-503', retryAfter: 1, times: 10 },
      { mode: 'status-404', times: 10 },
      { mode: 'status-401', times: 10 },
      { mode: 'reset', times: 10 },
      { mode: 'truncate', times: 10 },
      { mode: 'stall', times: 10 },
      { mode: 'gzip-broken', times: 10 },
      { mode: 'drop-part', stripLocations: true, times: 10 },
    ];
    const slide = await openSlide(seriesUrl, { headers, logger });
    const instance = slide.levels[3]!.instances[0]!;
    for (const fault of faults) {
      for (const wholeInstanceMaxFrames of [0, 10000]) {
        const engine = new FrameCacheEngine({
          headers,
          logger,
          maxRetries: 1,
          requestTimeoutMs: 300,
          timers,
          wholeInstanceMaxFrames,
        });
        await resetProxy();
        await setFault({ ...fault, match: instance.sopInstanceUid } as Fault);
        await engine.getFrames(instance, [1, 2, 3]).catch((e: unknown) => errors.push(e));
        await engine.waitForLoads();
        errors.push(await engine.stats());
        await engine.close();
      }
      await setFault({ ...fault, match: '/metadata' } as Fault);
      errors.push(await openSlide(seriesUrl, { headers, logger, requestTimeoutMs: 300 }).catch((e: unknown) => e));
    }
    await resetProxy();
    expect(calls).toBeGreaterThan(faults.length * 3);
    expect(logger.records.some((r) => r.level === 'error')).toBe(true);
    expect(errors.some((e) => e instanceof Error)).toBe(true);
    expect(textOf(logger.records)).not.toContain(secret);
    expect(textOf(errors)).not.toContain(secret);
  });
});
