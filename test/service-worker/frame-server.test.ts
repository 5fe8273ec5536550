// FrameServer (the Service Worker's request handling) in Node over a scripted Orthanc-like
// server: what it answers, what it leaves alone, and the fall-through to the network.
import { describe, expect, it } from 'vitest';
import { FrameServer } from '../../src/service-worker/frame-server.js';
import { routePastWorker } from '../../src/service-worker/frame-url.js';
import { checkServeFramesOptions } from '../../src/service-worker/serve-frames.js';
import { FrameCacheError } from '../../src/shared/errors.js';
import { parseMultipartRelated } from '../../src/transport/multipart.js';
import { noiseBytes, orthancFramesResponse } from '../helpers/multipart-builder.js';

const ROOT = 'https://pacs.example/dicom-web';
const INSTANCE = `${ROOT}/studies/1.2/series/1.3/instances/1.4`;
const FRAME_COUNT = 20;
const ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=*';
const frame = (n: number) => noiseBytes(50 + n, n);

interface Seen {
  url: string;
  accept: string | null;
  authorization: string | null;
}

/**
 * A server with one instance of `frameCount` frames (20) at `instance`; `failFrames` answers
 * every frames request with that status. `frameRequests(n)` resolves once n frames requests came.
 */
function scriptedServer(opts: { failFrames?: number; frameCount?: number; instance?: string } = {}) {
  const frameCount = opts.frameCount ?? FRAME_COUNT;
  const instance = opts.instance ?? INSTANCE;
  const seen: Seen[] = [];
  const waiters: [number, () => void][] = [];
  const frameRequests = (n: number): Promise<void> =>
    new Promise((resolve) => {
      waiters.push([n, resolve]);
      notify();
    });
  const notify = (): void => {
    const count = seen.filter((s) => s.url.includes('/frames/')).length;
    for (const [n, resolve] of waiters) if (count >= n) resolve();
  };
  const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(String(input), init);
    seen.push({
      url: request.url,
      accept: request.headers.get('accept'),
      authorization: request.headers.get('authorization'),
    });
    notify();
    if (request.url === `${instance}/metadata`) {
      return Response.json([
        {
          '0020000D': { Value: ['1.2'] },
          '0020000E': { Value: ['1.3'] },
          '00080018': { Value: ['1.4'] },
          '00280008': { Value: [frameCount] },
        },
      ]);
    }
    const match = /\/frames\/([\d,]+)$/.exec(request.url);
    if (match === null) return new Response('not found', { status: 404 });
    if (opts.failFrames !== undefined) return new Response('fail', { status: opts.failFrames });
    const numbers = match[1]!.split(',').map(Number);
    if (numbers.some((n) => n > frameCount)) return new Response('bad frame', { status: 400 });
    return orthancFramesResponse(instance, numbers, frame);
  }) as typeof fetch;
  return { seen, fetchFn, frameRequests };
}

function serverWith(fetchFn: typeof fetch, cacheOptions = {}, root = ROOT): FrameServer {
  return new FrameServer({
    roots: [root],
    cacheOptions: { maxRetries: 0, framesPerMiss: 10, ...cacheOptions },
    fetch: fetchFn,
  });
}

/** `first,…,last` as a frame list. */
const range = (first: number, last: number): string =>
  Array.from({ length: last - first + 1 }, (_, i) => first + i).join(',');
const get = (url: string, headers: Record<string, string> = { accept: ACCEPT }) => new Request(url, { headers });
const noWait = () => undefined;

describe('FrameServer', () => {
  it("answers frame GETs from one block read with the server's parts, in the requested order", async () => {
    const { seen, fetchFn } = scriptedServer();
    const server = serverWith(fetchFn);
    const answers = await Promise.all([
      server.handle(get(`${INSTANCE}/frames/4,2`), 'c', noWait)!,
      server.handle(get(`${INSTANCE}/frames/3`), 'c', noWait)!,
    ]);
    const [first] = answers;
    const body = new Uint8Array(await first!.arrayBuffer());
    const parsed = parseMultipartRelated(first!.headers.get('content-type')!, body);
    expect(first!.headers.get('content-type')).toMatch(
      /^multipart\/related; type="image\/jpeg; transfer-syntax=1\.2\.840\.10008\.1\.2\.4\.50"; boundary=/,
    );
    expect(parsed.map((p) => p.headers)).toEqual([
      {
        'content-location': `${INSTANCE}/frames/4`,
        'content-type': 'image/jpeg; transfer-syntax=1.2.840.10008.1.2.4.50',
        'content-length': '54',
        'mime-version': '1.0',
      },
      {
        'content-location': `${INSTANCE}/frames/2`,
        'content-type': 'image/jpeg; transfer-syntax=1.2.840.10008.1.2.4.50',
        'content-length': '52',
        'mime-version': '1.0',
      },
    ]);
    expect(parsed.map((p) => [...p.body])).toEqual([[...frame(4)], [...frame(2)]]);
    expect(new TextDecoder().decode(body)).toContain('MIME-Version: 1.0');
    // One metadata read (no metadata passed through), then the aligned chunk holding the frames
    // (here the whole 20-frame instance), with the viewer's Accept: one request for three frames.
    expect(seen.map((s) => s.url)).toEqual([`${INSTANCE}/metadata`, `${INSTANCE}/frames/${range(1, 20)}`]);
    expect(seen[1]!.accept).toBe(ACCEPT);
    const stats = await server.stats();
    expect([stats.frameRequests, stats.served, stats.servedFrames, stats.metadataReads]).toEqual([2, 2, 3, 1]);
  });

  it('learns frame counts from metadata passing through instead of reading them', async () => {
    const { seen, fetchFn } = scriptedServer();
    const waits: Promise<unknown>[] = [];
    const server = serverWith(fetchFn);
    const metadata = await server.handle(get(`${INSTANCE}/metadata`, { accept: 'application/dicom+json' }), 'c', (p) =>
      waits.push(p),
    )!;
    expect((await metadata.json()) as unknown[]).toHaveLength(1);
    await Promise.all(waits);
    await server.handle(get(`${INSTANCE}/frames/1`), 'c', noWait);
    expect(seen.filter((s) => s.url.endsWith('/metadata'))).toHaveLength(1); // the page's own
    expect((await server.stats()).metadataSeen).toBe(1);
  });

  it('passes the request to the network when the block read fails: the page gets the server answer', async () => {
    const { seen, fetchFn } = scriptedServer({ failFrames: 404 });
    const server = serverWith(fetchFn);
    const answer = await server.handle(get(`${INSTANCE}/frames/5`), 'c', noWait)!;
    expect(answer.status).toBe(404);
    // The engine's chunk read failed, then the original request itself went to the network.
    expect(seen.filter((s) => s.url === `${INSTANCE}/frames/${range(1, 20)}`)).toHaveLength(1);
    expect(seen.filter((s) => s.url === `${INSTANCE}/frames/5`)).toHaveLength(1);
    expect((await server.stats()).passedThrough['frames-missing']).toBe(1);
  });

  it('passes an out-of-range frame list to the server (its 400 is the right answer)', async () => {
    const { fetchFn } = scriptedServer();
    const server = serverWith(fetchFn);
    expect((await server.handle(get(`${INSTANCE}/frames/3,21`), 'c', noWait)!).status).toBe(400);
  });

  it('passes the request on when anything inside throws (an aborted wait here)', async () => {
    const { seen, fetchFn } = scriptedServer();
    const server = serverWith(fetchFn);
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    const request = new Request(`${INSTANCE}/frames/6`, { headers: { accept: ACCEPT }, signal: controller.signal });
    const answer = server.handle(request, 'c', noWait)!;
    await answer.catch(() => undefined);
    expect((await server.stats()).passedThrough.error).toBe(1);
    expect(seen.map((s) => s.url)).toContain(`${INSTANCE}/frames/6`); // the original request itself
  });

  it('leaves everything else to the browser', () => {
    const { fetchFn } = scriptedServer();
    const server = serverWith(fetchFn);
    expect(
      server.handle(new Request(`${INSTANCE}/frames/1`, { method: 'POST', headers: { accept: ACCEPT } }), 'c', noWait),
    ).toBeUndefined();
    expect(
      server.handle(get(`${INSTANCE}/frames/1`, { accept: ACCEPT, range: 'bytes=0-1' }), 'c', noWait),
    ).toBeUndefined();
    expect(server.handle(get(`${INSTANCE}/frames/1`, { accept: 'image/jpeg' }), 'c', noWait)).toBeUndefined();
    expect(server.handle(get(`${INSTANCE}/frames/1/rendered`), 'c', noWait)).toBeUndefined();
    expect(server.handle(get(`${ROOT}/studies?PatientID=1`), 'c', noWait)).toBeUndefined();
    expect(
      server.handle(get('https://other.example/dicom-web/studies/1/series/2/instances/3/frames/1'), 'c', noWait),
    ).toBeUndefined();
  });

  it('reads the tiles of a view, one request each, as the one aligned chunk holding them', async () => {
    const { seen, fetchFn } = scriptedServer({ frameCount: 60 });
    const server = serverWith(fetchFn);
    const tiles = [7, 8, 9, 15, 16, 17];
    const answers = await Promise.all(tiles.map((n) => server.handle(get(`${INSTANCE}/frames/${n}`), 'c', noWait)!));
    expect(answers.map((a) => a.status)).toEqual(tiles.map(() => 200));
    // 60 frames: one chunk (read-plan.ts), small enough to be read first without a separate
    // request of the tiles; the same URL whoever asks first.
    expect(seen.filter((s) => s.url.includes('/frames/')).map((s) => s.url)).toEqual([
      `${INSTANCE}/frames/${range(1, 60)}`,
    ]);
    const stats = await server.stats();
    expect(stats.plans).toEqual({ chunk: 6, visible: 0 });
    expect(stats.cache.requests).toBe(1);
  });

  it('asks for the tiles alone first where the chunk is long, then reads the chunk behind them', async () => {
    // 200 frames: a chunk longer than UNMEASURED_CHUNK_FIRST_FRAMES, on an origin whose link the
    // worker has not measured yet (the link learner is shared by every engine of a worker).
    const root = 'https://unmeasured.example/dicom-web';
    const instance = `${root}/studies/1.2/series/1.3/instances/1.4`;
    const { seen, fetchFn, frameRequests } = scriptedServer({ frameCount: 200, instance });
    const server = serverWith(fetchFn, { framesPerMiss: 200 }, root);
    const answer = await server.handle(get(`${instance}/frames/42`), 'c', noWait)!;
    expect(answer.status).toBe(200);
    await frameRequests(2);
    expect(seen.filter((s) => s.url.includes('/frames/')).map((s) => s.url)).toEqual([
      `${instance}/frames/42`,
      `${instance}/frames/${range(1, 200)}`,
    ]);
    expect((await server.stats()).plans).toEqual({ chunk: 0, visible: 1 });
  });

  it("sends each scope's own credential and never shares frames between scopes", async () => {
    const { seen, fetchFn } = scriptedServer();
    const server = serverWith(fetchFn);
    const frameRequests = () => seen.filter((s) => s.url.includes('/frames/'));
    await server.handle(get(`${INSTANCE}/frames/1`, { accept: ACCEPT, authorization: 'Bearer a' }), 'c', noWait);
    // Scope a's one read: the 20-frame chunk, read first (no background read left running).
    expect(frameRequests()).toHaveLength(1);
    const afterA = frameRequests().length;
    expect(new Set(frameRequests().map((s) => s.authorization))).toEqual(new Set(['Bearer a']));
    await server.handle(get(`${INSTANCE}/frames/1`, { accept: ACCEPT, authorization: 'Bearer b' }), 'c', noWait);
    // Scope b read frame 1 itself, with its own credential: nothing of scope a served to it.
    expect(frameRequests().length).toBeGreaterThan(afterA);
    expect(
      frameRequests()
        .slice(afterA)
        .every((s) => s.authorization === 'Bearer b'),
    ).toBe(true);
    const stats = await server.stats();
    expect(stats.scopes).toBe(2);
    expect(JSON.stringify(stats)).not.toContain('Bearer');
  });
});

describe('routePastWorker()', () => {
  it('sends all but frames and metadata under the roots to the network, their paths escaped', () => {
    expect(
      routePastWorker(['https://app.example/dicom-web', 'https://pacs.example:8042/wado(rs)', 'https://x.example']),
    ).toEqual({
      condition: {
        not: {
          or: [
            { urlPattern: 'https://app.example/dicom-web/studies/*/frames/*' },
            { urlPattern: 'https://app.example/dicom-web/studies/*/metadata{/}?' },
            { urlPattern: 'https://pacs.example:8042/wado\\(rs\\)/studies/*/frames/*' },
            { urlPattern: 'https://pacs.example:8042/wado\\(rs\\)/studies/*/metadata{/}?' },
            { urlPattern: 'https://x.example/studies/*/frames/*' },
            { urlPattern: 'https://x.example/studies/*/metadata{/}?' },
          ],
        },
      },
      source: 'network',
    });
  });
});

describe('checkServeFramesOptions()', () => {
  it('resolves roots and keeps the cache options', () => {
    expect(checkServeFramesOptions({ roots: ['/dicom-web'], maxBytes: 10 }, 'https://app.example/sw.js')).toEqual({
      roots: ['https://app.example/dicom-web'],
      cacheOptions: { maxBytes: 10 },
    });
  });

  it.each([
    ['no roots', {}],
    ['empty roots', { roots: [] }],
    ['a non-string root', { roots: [1] }],
    ['a non-http root', { roots: ['ftp://x/dicom-web'] }],
    ['an unknown option', { roots: ['/dicom-web'], maxByte: 1 }],
    ['a bad cache option', { roots: ['/dicom-web'], maxBytes: 0 }],
  ])("throws 'invalid-option' for %s", (_, options) => {
    let error: unknown;
    try {
      checkServeFramesOptions(options, 'https://app.example/sw.js');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FrameCacheError);
    expect((error as FrameCacheError).code).toBe('invalid-option');
  });
});
