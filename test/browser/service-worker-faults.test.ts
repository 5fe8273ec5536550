// The fault matrix of the Chromium fault tests replayed through serveFrames: a per-tile client
// in the worker's scope asks for tiles while the proxy breaks Orthanc's answers, once (the
// worker's block read absorbs it) and on every request (the worker gives up and passes the
// request on). Every answer the worker builds is compared with Orthanc's; the page never sees
// an outcome the server would not have given it without the worker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fault } from '../../scripts/lib/proxy.mjs';
import type { SwClient } from './sw/client.js';
import { instanceOf, orthanc, resetProxy, setFault } from './faults-helpers.js';
import {
  FRAMES_ACCEPT,
  answerOf,
  directAnswer,
  openClient,
  sameAnswer,
  viaClient,
  type Answer,
} from './service-worker-helpers.js';

interface ModeCase {
  name: string;
  fault: Omit<Fault, 'match' | 'times'>;
  /** Holds the request open: only the once-variant is replayed (the page's own request would hang too). */
  stalls?: boolean;
}

const MODES: ModeCase[] = [
  { name: 'status-500', fault: { mode: 'status-500' } },
  { name: 'status-503 + Retry-After: 0', fault: { mode: 'status-503', retryAfter: 0 } },
  { name: 'status-429', fault: { mode: 'status-429' } },
  { name: 'status-404', fault: { mode: 'status-404' } },
  { name: 'reset mid-body', fault: { mode: 'reset' } },
  { name: 'truncated inside a part', fault: { mode: 'truncate' } },
  { name: 'one part missing', fault: { mode: 'drop-part' } },
  { name: 'one part missing, no Content-Location', fault: { mode: 'drop-part', stripLocations: true } },
  { name: 'wrong Content-Location', fault: { mode: 'wrong-location' } },
  { name: 'stalled after headers', fault: { mode: 'stall' }, stalls: true },
  { name: 'stalled before headers', fault: { mode: 'stall-headers' }, stalls: true },
  { name: 'single part instead of multipart', fault: { mode: 'single-part' } },
  { name: 'gzip broken', fault: { mode: 'gzip-broken' } },
  { name: 'gzip truncated', fault: { mode: 'gzip-truncated' } },
  { name: 'gzip bad CRC', fault: { mode: 'gzip-bad-crc' } },
];

let client: SwClient;
const level = instanceOf('jpeg', 0);
const tiles = [40, 41, 72];
let verified = 0;
let wrong = 0;
let unexpectedOutcomes = 0;

beforeAll(async () => {
  client = await openClient();
  await client.register([orthanc.proxy.dicomWebUrl], { maxRetries: 1, requestTimeoutMs: 500 });
});
afterAll(async () => {
  await resetProxy();
  await client.unregister();
  for (const frame of document.querySelectorAll('iframe')) frame.remove();
  console.log(
    `[faults-service-worker] ${verified} frames of worker-built answers verified, ${wrong} wrong, ${unexpectedOutcomes} outcomes the server would not have given`,
  );
});

/** What the page gets for `url` without the worker (this test page is outside its scope). */
async function withoutWorker(url: string): Promise<Answer | 'network-error'> {
  try {
    const response = await fetch(url, { headers: { Accept: FRAMES_ACCEPT } });
    return answerOf(
      response.status,
      response.headers.get('content-type') ?? '',
      new Uint8Array(await response.arrayBuffer()),
    );
  } catch {
    return 'network-error';
  }
}

/** Each tile in turn; counts frames of the answers the worker built (stats.served went up). */
async function askTiles(): Promise<{ answers: Answer[]; built: boolean[] }> {
  const answers: Answer[] = [];
  const built: boolean[] = [];
  for (const n of tiles) {
    const before = (await client.stats()).served;
    const answer = await viaClient(client, `${level.url}/frames/${n}`, FRAMES_ACCEPT);
    const isBuilt = (await client.stats()).served > before;
    answers.push(answer);
    built.push(isBuilt);
    if (isBuilt) {
      const expected = await directAnswer(`${level.url}/frames/${n}`, FRAMES_ACCEPT);
      verified += answer.parts.length;
      if (!sameAnswer(answer, expected)) wrong++;
    }
  }
  return { answers, built };
}

describe('serveFrames under injected faults (Chromium, Orthanc)', () => {
  describe.each(MODES)('$name', ({ fault }) => {
    it('once: the block read absorbs it and every tile is answered exactly as Orthanc does', async () => {
      await resetProxy();
      await client.clear();
      await setFault({ ...fault, match: `${level.sopInstanceUid}/frames/`, times: 1 });
      const { answers } = await askTiles();
      await resetProxy(); // ends answers a stall mode still holds
      for (const [i, answer] of answers.entries()) {
        const expected = await directAnswer(`${level.url}/frames/${tiles[i]}`, FRAMES_ACCEPT);
        if (!sameAnswer(answer, expected)) unexpectedOutcomes++;
        expect(sameAnswer(answer, expected), `tile ${tiles[i]}`).toBe(true);
      }
      expect(wrong).toBe(0);
    });
  });

  // A stall on every request would hold the page's own request too: those modes run once only.
  describe.each(MODES.filter((m) => m.stalls !== true))('$name', ({ fault }) => {
    it('every time: the worker passes the request on and the page sees what the server sent', async () => {
      await resetProxy();
      await client.clear();
      await setFault({ ...fault, match: `${level.sopInstanceUid}/frames/` });
      const { answers, built } = await askTiles();
      const plain = await Promise.all(tiles.map((n) => withoutWorker(`${level.url}/frames/${n}`)));
      await resetProxy();
      answers.forEach((answer, i) => {
        const without = plain[i]!;
        const status = without === 'network-error' ? -1 : without.status;
        if (!built[i] && answer.status !== status) unexpectedOutcomes++;
        if (!built[i]) expect(answer.status, `tile ${tiles[i]}`).toBe(status);
      });
      expect(wrong).toBe(0);
      expect(unexpectedOutcomes).toBe(0);
    });
  });
});
