/**
 * Reference frames for the integration and browser tests: Orthanc's single-frame WADO-RS answers
 * (one request per frame, what viewers do today), split by the reference splitter of
 * reference-multipart.ts, which shares no code with src/. Runs in Node and in the browser.
 */
import { referenceBoundary, referenceSplit } from './reference-multipart.js';

const ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=*';

/** Frame `frameNumber` of the instance at `instanceUrl` (no trailing slash). */
export async function referenceFrame(instanceUrl: string, frameNumber: number): Promise<Uint8Array> {
  const response = await fetch(`${instanceUrl}/frames/${frameNumber}`, { headers: { Accept: ACCEPT } });
  if (response.status !== 200) throw new Error(`reference frame ${frameNumber}: HTTP ${response.status}`);
  const contentType = response.headers.get('content-type') ?? '';
  const boundary = referenceBoundary(contentType);
  if (boundary === undefined) throw new Error(`reference frame ${frameNumber}: no boundary in '${contentType}'`);
  const parts = referenceSplit(new Uint8Array(await response.arrayBuffer()), boundary);
  if (parts === undefined || parts.length !== 1) throw new Error(`reference frame ${frameNumber}: ${parts === undefined ? 'malformed answer' : `${parts.length} parts`}`);
  const location = parts[0]!.headers['content-location'];
  if (location !== undefined && !location.endsWith(`/frames/${frameNumber}`)) throw new Error(`reference frame ${frameNumber}: Content-Location ${location}`);
  if (parts[0]!.body.byteLength === 0) throw new Error(`reference frame ${frameNumber}: empty`);
  return parts[0]!.body;
}

/** Every frame of an instance, one single-frame request each (a few at a time). */
export async function referenceFrameList(instanceUrl: string, frameCount: number): Promise<Uint8Array[]> {
  const frames: Uint8Array[] = new Array<Uint8Array>(frameCount);
  let next = 1;
  const worker = async (): Promise<void> => {
    while (next <= frameCount) {
      const n = next++;
      frames[n - 1] = await referenceFrame(instanceUrl, n);
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, frameCount) }, worker));
  return frames;
}
