import { describe, expect, it } from 'vitest';
import { FrameCounts, frameCountOf, frameCountsOfMetadata } from '../../src/service-worker/frame-counts.js';

const dataset = (sop: string, frames?: unknown) => ({
  '0020000D': { vr: 'UI', Value: ['1.2'] },
  '0020000E': { vr: 'UI', Value: ['1.3'] },
  '00080018': { vr: 'UI', Value: [sop] },
  ...(frames === undefined ? {} : { '00280008': { vr: 'IS', Value: [frames] } }),
});
const ROOT = 'https://app.example/dicom-web';

describe('frameCountOf()', () => {
  it('reads NumberOfFrames as a number or an IS string; absent means one frame', () => {
    expect(frameCountOf(dataset('1.4', 768))).toBe(768);
    expect(frameCountOf(dataset('1.4', '12'))).toBe(12);
    expect(frameCountOf(dataset('1.4'))).toBe(1);
    expect(frameCountOf(dataset('1.4', 'x'))).toBeUndefined();
    expect(frameCountOf(dataset('1.4', 0))).toBeUndefined();
  });
});

describe('frameCountsOfMetadata()', () => {
  it('names each instance under the root and skips datasets it cannot use', () => {
    const json = [
      dataset('1.4', 10),
      dataset('1.5', '3'),
      { '00080018': { Value: ['1.6'] } },
      null,
      dataset('../x', 1),
    ];
    expect(frameCountsOfMetadata(ROOT, json)).toEqual([
      [`${ROOT}/studies/1.2/series/1.3/instances/1.4`, 10],
      [`${ROOT}/studies/1.2/series/1.3/instances/1.5`, 3],
    ]);
    expect(frameCountsOfMetadata(ROOT, { not: 'an array' })).toEqual([]);
  });
});

describe('FrameCounts', () => {
  const instanceUrl = `${ROOT}/studies/1.2/series/1.3/instances/1.4`;

  it('uses a count learned from passing metadata without reading anything', async () => {
    const counts = new FrameCounts();
    counts.learnFromMetadata(ROOT, [dataset('1.4', 48)]);
    const fetchFn = (() => Promise.reject(new Error('must not fetch'))) as typeof fetch;
    expect(await counts.resolve(instanceUrl, {}, fetchFn)).toBe(48);
    expect(counts.metadataReads).toBe(0);
  });

  it("reads the instance's metadata once with the request's headers, concurrent callers sharing it", async () => {
    const counts = new FrameCounts();
    const seen: [string, Record<string, string>][] = [];
    const fetchFn = (async (url: string, init: RequestInit) => {
      seen.push([url, init.headers as Record<string, string>]);
      return new Response(JSON.stringify([dataset('1.4', 7)]), { status: 200 });
    }) as unknown as typeof fetch;
    const [a, b] = await Promise.all([
      counts.resolve(instanceUrl, { authorization: 'Bearer t' }, fetchFn),
      counts.resolve(instanceUrl, {}, fetchFn),
    ]);
    expect([a, b]).toEqual([7, 7]);
    expect(seen).toEqual([
      [`${instanceUrl}/metadata`, { authorization: 'Bearer t', accept: 'application/dicom+json' }],
    ]);
    expect(await counts.resolve(instanceUrl, {}, fetchFn)).toBe(7);
    expect(counts.metadataReads).toBe(1);
  });

  it('resolves undefined when the read fails, and tries again on the next call', async () => {
    const counts = new FrameCounts();
    let calls = 0;
    const failing = (async () => {
      calls++;
      return new Response('no', { status: 403 });
    }) as unknown as typeof fetch;
    expect(await counts.resolve(instanceUrl, {}, failing)).toBeUndefined();
    const throwing = (() => Promise.reject(new TypeError('network'))) as typeof fetch;
    expect(await counts.resolve(instanceUrl, {}, throwing)).toBeUndefined();
    expect(calls).toBe(1);
    expect(counts.metadataReads).toBe(2);
  });
});
