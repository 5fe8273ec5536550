// The references of the browser tests come through the proxy's /__proxy/direct/ route (the page
// cannot reach Orthanc itself): that route must give Orthanc's answer byte for byte, unlogged,
// whatever fault is set. And the reference splitter must read Orthanc's single-frame answers.
import { describe, expect, it } from 'vitest';
import { referenceFrame } from '../helpers/reference-frames.js';
import { orthanc, proxyLog, resetProxy, sameBytes, sampleInstance, setFault } from './faults-support.js';

const ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=*';

describe('reference frames', () => {
  it("/__proxy/direct/ passes Orthanc's single-frame answers through unchanged and unlogged, even under a fault", async () => {
    const instance = sampleInstance('jpeg', 3);
    await resetProxy();
    await setFault({ mode: 'truncate', match: instance.sopInstanceUid });
    try {
      for (const n of [1, 2, instance.frameCount]) {
        const path = new URL(`${instance.directUrl}/frames/${n}`).pathname;
        const [straight, routed] = await Promise.all([
          fetch(`${orthanc.url}${path}`, { headers: { Accept: ACCEPT } }),
          fetch(`${orthanc.proxy.url}/__proxy/direct${path}`, { headers: { Accept: ACCEPT } }),
        ]);
        expect(routed.status).toBe(200);
        const a = new Uint8Array(await straight.arrayBuffer());
        const b = new Uint8Array(await routed.arrayBuffer());
        // The boundary is Orthanc's per answer: compare with the routed answer's own boundary swapped in.
        const boundaryOf = (r: Response) => /boundary=([^;\s]+)/.exec(r.headers.get('content-type') ?? '')?.[1] ?? '';
        const text = (bytes: Uint8Array, boundary: string) =>
          Buffer.from(bytes).toString('latin1').split(boundary).join('BOUNDARY');
        expect(text(b, boundaryOf(routed))).toBe(text(a, boundaryOf(straight)));
        // And the reference splitter reads the same frame through either way.
        expect(
          sameBytes(
            await referenceFrame(`${orthanc.proxy.url}/__proxy/direct${new URL(instance.directUrl).pathname}`, n),
            await referenceFrame(instance.directUrl, n),
          ),
        ).toBe(true);
      }
      expect(await proxyLog()).toEqual([]);
    } finally {
      await resetProxy();
    }
  });
});
