// The fuzz corpus against live Orthanc: the Orthanc-form answers test/fuzz builds from the sample
// files are byte for byte what Orthanc sends (so `npm run fuzz` fuzzes real answers without a
// server), and the fuzz properties hold on answers captured from Orthanc right now.
import { describe, expect, it } from 'vitest';
import { boundaryOf } from '../../src/transport/content-type.js';
import { FRAMES_ACCEPT, INSTANCE_ACCEPT } from '../../src/transport/dicomweb-source.js';
import { part10Corpus, orthancFramesAnswer, orthancInstanceAnswer, type MultipartSample } from '../fuzz/corpus.js';
import { fuzzMultipart } from '../fuzz/properties.js';
import { sameBytes, sampleInstance } from './faults-support.js';

async function capture(url: string, accept: string): Promise<{ contentType: string; body: Uint8Array }> {
  const response = await fetch(url, { headers: { Accept: accept } });
  expect(response.status).toBe(200);
  return {
    contentType: response.headers.get('content-type') ?? '',
    body: new Uint8Array(await response.arrayBuffer()),
  };
}

describe('the fuzz corpus', () => {
  it("builds Orthanc's frames and instance answers byte for byte, and the properties hold on live answers", async () => {
    const [four, one] = part10Corpus();
    const framesInstance = sampleInstance('jpeg', 4);
    const fileInstance = sampleInstance('jpeg', 5);
    const frames = await capture(`${framesInstance.directUrl}/frames/1,2,3,4`, FRAMES_ACCEPT);
    const instance = await capture(fileInstance.directUrl, INSTANCE_ACCEPT);

    const builtFrames = orthancFramesAnswer(four!.frames, framesInstance.directUrl, boundaryOf(frames.contentType));
    expect(frames.contentType).toBe(builtFrames.contentType);
    expect(sameBytes(frames.body, builtFrames.body)).toBe(true);
    const builtInstance = orthancInstanceAnswer(one!.bytes, boundaryOf(instance.contentType));
    expect(instance.contentType).toBe(builtInstance.contentType);
    expect(sameBytes(instance.body, builtInstance.body)).toBe(true);

    const lower = (headers: [string, string][]) => Object.fromEntries(headers.map(([k, v]) => [k.toLowerCase(), v]));
    const live: MultipartSample[] = [
      {
        name: 'live frames answer',
        ...frames,
        parts: builtFrames.parts.map((p) => ({ headers: lower(p.headers), body: p.body })),
        hot: [0],
      },
      {
        name: 'live instance answer',
        ...instance,
        parts: builtInstance.parts.map((p) => ({ headers: lower(p.headers), body: p.body })),
        hot: [0],
      },
    ];
    let cases = 0;
    fuzzMultipart(live, { numRuns: 300, seed: 7003, timeLimitMs: 60_000, onCase: () => cases++ });
    expect(cases).toBe(300);
  });
});
