// The bench's emulated link (scripts/lib/link-proxy.mjs): every request waits one round trip
// before it is forwarded, and every answer leaves through one bandwidth limit shared by all
// streams. Driven on a virtual clock (no wall-clock asserts): time only passes when the test
// fires the proxy's earliest timer, so the link's arithmetic is checked exactly.
import http from 'node:http';
import http2 from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LinkProxy, makeSelfSignedCertificate, startLinkProxy } from '../../scripts/lib/link-proxy.mjs';

const RTT_MS = 80;
const MBPS = 40;
const CHUNK = 16 * 1024;

/** A virtual clock: timers fire only when the test says, earliest first. */
function virtualClock() {
  let t = 0;
  const timers: { due: number; fn: () => void; ms: number }[] = [];
  let wake: (() => void) | undefined;
  return {
    scheduled: [] as number[],
    now: () => t,
    schedule(ms: number, fn: () => void) {
      this.scheduled.push(ms);
      timers.push({ due: t + ms, fn, ms });
      timers.sort((a, b) => a.due - b.due);
      wake?.();
    },
    get time() {
      return t;
    },
    get pending() {
      return timers.length;
    },
    /** Resolves once at least `count` timers are pending. */
    async timers(count: number) {
      while (timers.length < count) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    },
    fireEarliest() {
      const timer = timers.shift();
      if (timer === undefined) throw new Error('no timer');
      t = Math.max(t, timer.due);
      timer.fn();
    },
  };
}

/** The target: answers GET /bytes/N with N bytes (i & 0xff), counts what reached it. */
async function startTarget() {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    const n = Number((req.url ?? '').split('/').pop());
    const body = Buffer.alloc(n);
    for (let i = 0; i < n; i++) body[i] = i & 0xff;
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': String(n),
      connection: 'keep-alive',
    });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as import('node:net').AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('link proxy (bench only)', () => {
  const certificate = makeSelfSignedCertificate();
  let target: Awaited<ReturnType<typeof startTarget>>;
  beforeAll(async () => {
    target = await startTarget();
  });
  afterAll(async () => {
    await target.stop();
  });

  async function withProxy(
    run: (proxy: LinkProxy, clock: ReturnType<typeof virtualClock>, client: http2.ClientHttp2Session) => Promise<void>,
  ) {
    const clock = virtualClock();
    const proxy = await startLinkProxy({
      target: target.url,
      rttMs: RTT_MS,
      megabitsPerSecond: MBPS,
      chunkBytes: CHUNK,
      clock,
      certificate,
    });
    const client = http2.connect(proxy.url, { ca: certificate.cert });
    try {
      await run(proxy, clock, client);
    } finally {
      client.close();
      await proxy.stop();
    }
  }

  /** GET over HTTP/2; resolves with status and body. */
  function get(client: http2.ClientHttp2Session, path: string) {
    return new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
      const stream = client.request({ ':path': path });
      let status = 0;
      const chunks: Buffer[] = [];
      stream.on('response', (headers) => (status = Number(headers[':status'])));
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => resolve({ status, body: Buffer.concat(chunks) }));
      stream.on('error', reject);
      stream.end();
    });
  }

  /** Fires timers until every answer has ended. */
  async function drive(clock: ReturnType<typeof virtualClock>, answers: Promise<unknown>[]) {
    const state = { done: false };
    const all = Promise.all(answers).finally(() => (state.done = true));
    while (!state.done) {
      if (clock.pending > 0) clock.fireEarliest();
      else await Promise.race([clock.timers(1), all]);
    }
    return all;
  }

  it('holds each request for one round trip before the server sees it', async () => {
    await withProxy(async (proxy, clock, client) => {
      const before = target.seen.length;
      const answer = get(client, '/bytes/1000');
      await clock.timers(1);
      expect(clock.scheduled[0]).toBe(RTT_MS);
      expect(target.seen.length).toBe(before); // not forwarded while the round trip runs
      const [result] = (await drive(clock, [answer])) as [{ status: number; body: Buffer }];
      expect(result.status).toBe(200);
      expect(result.body.length).toBe(1000);
      expect(target.seen.length).toBe(before + 1);
      expect(proxy.counters).toMatchObject({ requests: 1, http2: 1, delayed: 1, forwarded: 1, answered: 1 });
      // Round trip, then 1000 bytes at 40 Mbit/s.
      expect(clock.time).toBeCloseTo(RTT_MS + (1000 * 8 * 1000) / (MBPS * 1e6), 6);
    });
  });

  it('paces all streams through one shared limit, in chunks, bytes intact', async () => {
    await withProxy(async (proxy, clock, client) => {
      const sizes = [300_000, 200_000];
      const answers = sizes.map((n) => get(client, `/bytes/${n}`));
      await clock.timers(2); // both round trips start at t = 0
      const results = (await drive(clock, answers)) as { status: number; body: Buffer }[];
      for (const [i, result] of results.entries()) {
        expect(result.body.length).toBe(sizes[i]);
        expect(result.body.every((byte, k) => byte === (k & 0xff))).toBe(true);
      }
      const total = sizes[0]! + sizes[1]!;
      // One shared limit: the two answers take the time of their sum (two limits: of the larger).
      expect(clock.time).toBeCloseTo(RTT_MS + (total * 8 * 1000) / (MBPS * 1e6), 6);
      expect(proxy.pacer.counters.bytes).toBe(total);
      expect(proxy.pacer.counters.pieces).toBeGreaterThanOrEqual(Math.ceil(total / CHUNK));
      // No piece waits longer than one chunk's serialisation time.
      const chunkMs = (CHUNK * 8 * 1000) / (MBPS * 1e6);
      expect(Math.max(...clock.scheduled.slice(2))).toBeLessThanOrEqual(chunkMs + 1e-9);
    });
  });

  it('a stream the client resets stops using the link: its queued pieces are dropped', async () => {
    await withProxy(async (proxy, clock, client) => {
      const big = client.request({ ':path': '/bytes/1000000' });
      let received = 0;
      big.on('data', (chunk: Buffer) => (received += chunk.length));
      big.on('error', () => undefined);
      big.end();
      const small = get(client, '/bytes/10000');
      await clock.timers(2);
      // Let part of the large answer through, then cancel it (a fetch aborted in the browser).
      // oxlint-disable-next-line no-unmodified-loop-condition -- the 'data' listener above adds to it
      while (received < 100_000) {
        if (clock.pending > 0) clock.fireEarliest();
        else await clock.timers(1);
        await new Promise((resolve) => setImmediate(resolve));
      }
      big.close(http2.constants.NGHTTP2_CANCEL);
      for (let i = 0; i < 1000 && proxy.counters.aborted === 0; i++) await new Promise((r) => setImmediate(r));
      expect(proxy.counters.aborted).toBe(1);
      const [result] = (await drive(clock, [small])) as [{ status: number; body: Buffer }];
      expect(result.body.length).toBe(10_000);
      expect(proxy.pacer.counters.dropped).toBeGreaterThan(0);
      // The small answer did not wait for the rest of the large one to cross the link.
      expect(proxy.pacer.counters.bytes).toBeLessThan(500_000);
      expect(clock.time).toBeLessThan(RTT_MS + (500_000 * 8 * 1000) / (MBPS * 1e6));
      expect(proxy.counters.answered).toBe(1);
    });
  });
});
