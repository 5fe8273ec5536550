/**
 * Reference frames for the integration and browser tests: Orthanc's own answers split by the
 * reference splitter of reference-multipart.ts, which shares no code with src/. By default one
 * single-frame request per frame (what viewers do today); the load tests, which need every frame
 * of 1000-frame levels, ask for `batch` frames per request, each part's Content-Location checked
 * to name its frame. Runs in Node and in the browser.
 */
import { referenceBoundary, referenceSplit } from './reference-multipart.js';

const ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=*';

/** Frames `numbers` of the instance at `instanceUrl` (no trailing slash), in one request. */
async function referenceRequest(instanceUrl: string, numbers: readonly number[]): Promise<Uint8Array[]> {
  const what = `reference frames ${numbers[0]}..${numbers[numbers.length - 1]}`;
  // Orthanc closes idle keep-alive sockets after 1 s and Node's fetch may reuse a dead one
  // ("other side closed", docs/server-and-browser-facts.md): on a loaded machine the reference
  // read itself needs the retry the module has. Only network errors (TypeError) are retried.
  let response: Response;
  let body: Uint8Array;
  for (let attempt = 1; ; attempt++) {
    try {
      response = await fetch(`${instanceUrl}/frames/${numbers.join(',')}`, { headers: { Accept: ACCEPT } });
      body = new Uint8Array(await response.arrayBuffer());
      break;
    } catch (error) {
      if (attempt >= 3 || !(error instanceof TypeError)) throw error;
    }
  }
  if (response.status !== 200) throw new Error(`${what}: HTTP ${response.status}`);
  const contentType = response.headers.get('content-type') ?? '';
  const boundary = referenceBoundary(contentType);
  if (boundary === undefined) throw new Error(`${what}: no boundary in '${contentType}'`);
  const parts = referenceSplit(body, boundary);
  if (parts === undefined || parts.length !== numbers.length)
    throw new Error(`${what}: ${parts === undefined ? 'malformed answer' : `${parts.length} parts`}`);
  return parts.map((part, i) => {
    const location = part.headers['content-location'];
    if (location !== undefined && !location.endsWith(`/frames/${numbers[i]}`))
      throw new Error(`${what}: part ${i} has Content-Location ${location}`);
    if (part.body.byteLength === 0) throw new Error(`${what}: part ${i} is empty`);
    return part.body;
  });
}

/** Frame `frameNumber` from Orthanc's single-frame answer. */
export async function referenceFrame(instanceUrl: string, frameNumber: number): Promise<Uint8Array> {
  return (await referenceRequest(instanceUrl, [frameNumber]))[0]!;
}

/** Frames 1..frameCount of an instance, `batch` per request (1: single-frame answers), a few requests at a time. */
export async function referenceFrameList(instanceUrl: string, frameCount: number, batch = 1): Promise<Uint8Array[]> {
  const frames: Uint8Array[] = [];
  let next = 1;
  const worker = async (): Promise<void> => {
    while (next <= frameCount) {
      const first = next;
      const numbers = Array.from({ length: Math.min(batch, frameCount - first + 1) }, (_, i) => first + i);
      next += numbers.length;
      (await referenceRequest(instanceUrl, numbers)).forEach((frame, i) => (frames[first - 1 + i] = frame));
    }
  };
  await Promise.all(Array.from({ length: Math.min(6, frameCount) }, worker));
  return frames;
}
