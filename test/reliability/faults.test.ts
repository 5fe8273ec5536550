// The fault modes of the test proxy (scripts/lib/faults.mjs) in front of a tiny upstream that
// answers like Orthanc: each mode breaks the answer exactly as documented, only for matching
// requests and only `times` times, and the control routes behave.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startProxy, type TestProxy } from '../../scripts/lib/proxy.mjs';
import { parseMultipartRelated } from '../../src/transport/multipart.js';
import { buildMultipart, noiseBytes, orthancContentType, orthancFrameHeaders } from '../helpers/multipart-builder.js';

const INSTANCE = 'http://upstream/dicom-web/studies/1/series/2/instances/3';
const BOUNDARY = 'f0e1d2c3-b4a5-4968-8776-655443322110-0123456789abcdef0123456789abcdef01';
const FRAMES = [1, 2, 3].map((n) => noiseBytes(3000 + n, n));
const FRAMES_BODY = Buffer.from(
  buildMultipart(
    FRAMES.map((body, i) => ({ headers: orthancFrameHeaders(INSTANCE, i + 1, body.length), body })),
    { boundary: BOUNDARY },
  ),
);
const METADATA = [
  { '00080018': { vr: 'UI', Value: ['1.2.3'] }, '7FE00010': { vr: 'OB', BulkDataURI: 'http://upstream/bulk/1' } },
  { '00080018': { vr: 'UI', Value: ['1.2.4'] } },
];

let upstream: http.Server;
let proxy: TestProxy;

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    if (req.url?.includes('/nothing/')) {
      res.writeHead(404).end('no such thing');
    } else if (req.url?.includes('/frames/')) {
      res
        .writeHead(200, { 'content-type': orthancContentType(BOUNDARY), 'content-length': String(FRAMES_BODY.length) })
        .end(FRAMES_BODY);
    } else if (req.url?.endsWith('/metadata')) {
      res.writeHead(200, { 'content-type': 'application/dicom+json' }).end(JSON.stringify(METADATA));
    } else {
      res.writeHead(404).end('no such thing');
    }
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  proxy = await startProxy({ target: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` });
});
afterAll(async () => {
  await proxy.stop();
  await new Promise((resolve) => upstream.close(resolve));
});
beforeEach(async () => {
  await fetch(`${proxy.url}/__proxy/reset`, { method: 'POST' });
});

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  chunks: number;
  error?: string;
}

/** A raw GET (no decoding), resolving when the answer ends or breaks. */
function get(path: string, timeoutMs = 5000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${proxy.url}${path}`, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      const done = (error?: string) =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          chunks: chunks.length,
          ...(error ? { error } : {}),
        });
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done());
      res.on('aborted', () => done('aborted'));
      res.on('error', (e) => done(e.message));
    });
    request.setTimeout(timeoutMs, () => request.destroy(new Error('client timeout')));
    request.on('error', reject);
  });
}

async function fault(value: object): Promise<void> {
  const response = await fetch(`${proxy.url}/__proxy/fault`, { method: 'POST', body: JSON.stringify(value) });
  expect(response.status).toBe(204);
}

const framesPath = '/dicom-web/studies/1/series/2/instances/3/frames/1,2,3';
const parts = (answer: RawAnswer) =>
  parseMultipartRelated(String(answer.headers['content-type']), new Uint8Array(answer.body));

describe('the fault proxy', () => {
  describe('status-NNN', () => {
    it('answers the status at once, with Retry-After when asked', async () => {
      await fault({ mode: 'status-503', retryAfter: 2 });
      const answer = await get(framesPath);
      expect(answer.status).toBe(503);
      expect(answer.headers['retry-after']).toBe('2');
      expect(proxy.log[0]).toMatchObject({ status: 503, fault: 'status-503' });
    });
  });

  describe('reset', () => {
    it('sends part of the body under the full Content-Length, then destroys the socket', async () => {
      await fault({ mode: 'reset', bytes: 1000 });
      const answer = await get(framesPath);
      expect(answer.headers['content-length']).toBe(String(FRAMES_BODY.length));
      expect(answer.error).toBeDefined();
      expect(answer.body.length).toBeLessThanOrEqual(1000);
      expect(FRAMES_BODY.subarray(0, answer.body.length).equals(answer.body)).toBe(true);
    });
  });

  describe('truncate', () => {
    it('ends a chunked answer cleanly in the middle of the second part', async () => {
      await fault({ mode: 'truncate' });
      const answer = await get(framesPath);
      expect(answer.error).toBeUndefined();
      expect(answer.headers['transfer-encoding']).toBe('chunked');
      expect(answer.headers['content-length']).toBeUndefined();
      expect(FRAMES_BODY.subarray(0, answer.body.length).equals(answer.body)).toBe(true);
      const secondBody = FRAMES_BODY.indexOf(Buffer.from(FRAMES[1]!));
      expect(answer.body.length).toBe(secondBody + Math.floor(FRAMES[1]!.length / 2));
      expect(() => parts(answer)).toThrow(/multipart|truncat|end/i);
    });
  });

  describe('drop-part, wrong-location, stripLocations, single-part', () => {
    it('drop-part leaves the second part out', async () => {
      await fault({ mode: 'drop-part' });
      const got = parts(await get(framesPath));
      expect(got.map((p) => p.headers['content-location']?.split('/frames/')[1])).toEqual(['1', '3']);
      expect(Buffer.from(got[1]!.body).equals(Buffer.from(FRAMES[2]!))).toBe(true);
    });

    it('wrong-location names frame N+1 on the second part', async () => {
      await fault({ mode: 'wrong-location' });
      const got = parts(await get(framesPath));
      expect(got.map((p) => p.headers['content-location']?.split('/frames/')[1])).toEqual(['1', '3', '3']);
      expect(Buffer.from(got[1]!.body).equals(Buffer.from(FRAMES[1]!))).toBe(true);
    });

    it('stripLocations removes every Content-Location first', async () => {
      await fault({ mode: 'drop-part', stripLocations: true, part: 0 });
      const got = parts(await get(framesPath));
      expect(got).toHaveLength(2);
      for (const part of got) expect(part.headers['content-location']).toBeUndefined();
      expect(got[0]!.headers['content-type']).toContain('image/jpeg');
    });

    it('single-part answers the first part alone under its own Content-Type', async () => {
      await fault({ mode: 'single-part' });
      const answer = await get(framesPath);
      expect(answer.headers['content-type']).toBe('image/jpeg; transfer-syntax=1.2.840.10008.1.2.4.50');
      expect(answer.body.equals(Buffer.from(FRAMES[0]!))).toBe(true);
    });

    it('passes a body that is not multipart through, saying so in the log', async () => {
      await fault({ mode: 'drop-part' });
      const answer = await get('/dicom-web/x/metadata');
      expect(JSON.parse(answer.body.toString())).toEqual(METADATA);
      expect(proxy.log[0]!.fault).toBe('drop-part (not multipart: passed through)');
    });
  });

  describe('gzip modes', () => {
    it('gzip-broken: a gzip header, then an invalid deflate block', async () => {
      await fault({ mode: 'gzip-broken' });
      const answer = await get(framesPath);
      expect(answer.headers['content-encoding']).toBe('gzip');
      expect(() => zlib.gunzipSync(answer.body)).toThrow(/invalid block type/);
    });

    it('gzip-truncated: a valid stream cut in the middle', async () => {
      await fault({ mode: 'gzip-truncated' });
      const answer = await get(framesPath);
      expect(() => zlib.gunzipSync(answer.body)).toThrow(/unexpected end/);
      const partial = zlib.gunzipSync(answer.body, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
      expect(partial.length).toBeGreaterThan(0);
      expect(FRAMES_BODY.subarray(0, partial.length).equals(partial)).toBe(true);
    });

    it('gzip-bad-crc: every byte decodes, the CRC-32 does not match', async () => {
      await fault({ mode: 'gzip-bad-crc' });
      const answer = await get(framesPath);
      expect(() => zlib.gunzipSync(answer.body)).toThrow(/incorrect data check/);
      const decoded = zlib.inflateRawSync(answer.body.subarray(10, answer.body.length - 8));
      expect(decoded.equals(FRAMES_BODY)).toBe(true);
    });
  });

  describe('drip, stall, stall-headers', () => {
    it('drip sends the whole body in many small writes', async () => {
      await fault({ mode: 'drip', bytesPerMs: 64 });
      const answer = await get(framesPath);
      expect(answer.body.equals(FRAMES_BODY)).toBe(true);
      expect(answer.chunks).toBeGreaterThan(10); // ~140 writes, one per ms
    });

    it('stall sends the headers and no byte until the proxy is reset', async () => {
      await fault({ mode: 'stall', times: 1 });
      let bytes = 0;
      const outcome = new Promise<{ status: number; ended: Promise<string> }>((resolve) => {
        http.get(`${proxy.url}${framesPath}`, { agent: false }, (res) => {
          const ended = new Promise<string>((done) => {
            res.on('data', (c: Buffer) => (bytes += c.length));
            res.on('end', () => done('end'));
            res.on('aborted', () => done('aborted'));
            res.on('error', () => done('aborted'));
          });
          resolve({ status: res.statusCode ?? 0, ended });
        });
      });
      const { status, ended } = await outcome;
      expect(status).toBe(200);
      await fetch(`${proxy.url}/__proxy/reset`, { method: 'POST' });
      expect(await ended).toBe('aborted');
      expect(bytes).toBe(0);
    });

    it('stall-headers sends nothing until the proxy is reset', async () => {
      await fault({ mode: 'stall-headers', times: 1 });
      let answered = false;
      const closed = new Promise<string>((resolve) => {
        const request = http.get(`${proxy.url}${framesPath}`, { agent: false }, () => {
          answered = true;
          resolve('answered');
        });
        request.on('error', (e) => resolve(e.message));
      });
      // The fault is spent once the request is logged: wait for that, then release it.
      while (proxy.log.length === 0) await new Promise((resolve) => setImmediate(resolve));
      expect(answered).toBe(false);
      await fetch(`${proxy.url}/__proxy/reset`, { method: 'POST' });
      expect(await closed).toBe('socket hang up');
    });
  });

  describe('match and times', () => {
    it('applies only to matching paths, only `times` times, and never to non-2xx answers of the body modes', async () => {
      await fault({ mode: 'truncate', match: '/frames/', times: 2 });
      expect((await get('/dicom-web/x/metadata')).body.length).toBe(JSON.stringify(METADATA).length);
      expect((await get(framesPath)).body.length).toBeLessThan(FRAMES_BODY.length);
      const notFound = await get('/dicom-web/nothing/frames/1');
      expect(notFound).toMatchObject({ status: 404 });
      expect(notFound.body.toString()).toBe('no such thing');
      expect((await get(framesPath)).body.equals(FRAMES_BODY)).toBe(true);
      expect(proxy.log.map((e) => e.fault)).toEqual([undefined, 'truncate', 'truncate', undefined]);
    });
  });

  describe('evil-metadata', () => {
    it('points BulkDataURIs and a RetrieveURL at another origin and breaks the first SOPInstanceUIDs', async () => {
      await fault({ mode: 'evil-metadata', origin: 'http://127.0.0.1:9' });
      const datasets = JSON.parse((await get('/dicom-web/x/metadata')).body.toString()) as Record<
        string,
        { Value?: string[]; BulkDataURI?: string }
      >[];
      expect(datasets[0]!['7FE00010']!.BulkDataURI).toBe('http://127.0.0.1:9/bulk/0');
      expect(datasets[1]!['00081190']!.Value).toEqual(['http://127.0.0.1:9/dicom-web/retrieve/1']);
      expect(datasets.map((d) => d['00080018']!.Value![0])).toEqual([
        '../../../../evil',
        'http://127.0.0.1:9/dicom-web/studies/1/series/2/instances/3',
      ]);
    });
  });

  describe('control routes', () => {
    it('refuses an unknown mode with 400', async () => {
      const response = await fetch(`${proxy.url}/__proxy/fault`, {
        method: 'POST',
        body: JSON.stringify({ mode: 'melt' }),
      });
      expect(response.status).toBe(400);
      expect(await response.text()).toBe('unknown fault mode melt');
    });

    it('/__proxy/direct/ reaches the upstream past the fault and the log', async () => {
      await fault({ mode: 'status-500' });
      const answer = await get(`/__proxy/direct${framesPath}`);
      expect(answer.status).toBe(200);
      expect(answer.body.equals(FRAMES_BODY)).toBe(true);
      expect(proxy.log).toEqual([]);
    });

    it('logs when each request started and when its answer closed', async () => {
      await get(framesPath);
      const [entry] = (await (await fetch(`${proxy.url}/__proxy/log`)).json()) as {
        start: number;
        end: number;
        bytes: number;
      }[];
      expect(entry!.end).toBeGreaterThanOrEqual(entry!.start);
      expect(entry!.bytes).toBe(FRAMES_BODY.length);
    });
  });
});
