// An emulated network link for the bench (`npm run bench`, issue 11): an HTTPS + HTTP/2 proxy
// (`node:http2`, HTTP/1.1 too) in front of the bench server that
//  - delays every request by one round trip before forwarding it (the request's way out and the
//    answer's first byte back), and
//  - paces every answer (heads, bodies in 16 KiB chunks, ends) through ONE bandwidth limit shared
//    by all streams and connections, first in first out (scripts/lib/link-pacer.mjs).
// Its certificate is self-signed, made at start with openssl for 127.0.0.1 and localhost; the
// browser context accepts it with `ignoreHTTPSErrors`. Tests stay on loopback: only the bench
// uses this. Method and its limits: docs/benchmarks.md.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REAL_CLOCK, createPacer } from './link-pacer.mjs';

/** The profiles of the bench; `loopback` runs without the proxy. */
export const LINK_PROFILES = Object.freeze({
  loopback: undefined,
  '20ms-200mbit': Object.freeze({ rttMs: 20, megabitsPerSecond: 200 }),
  '80ms-40mbit': Object.freeze({ rttMs: 80, megabitsPerSecond: 40 }),
});

// Hop-by-hop headers: not forwarded, and refused by HTTP/2.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'host',
  'http2-settings',
]);

/** A self-signed certificate for 127.0.0.1 / localhost, made with openssl. */
export function makeSelfSignedCertificate() {
  const dir = mkdtempSync(join(tmpdir(), 'dwfc-link-cert-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '2',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    return { key: readFileSync(key), cert: readFileSync(cert) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * @param {Record<string, string | string[] | undefined>} headers
 * @returns {Record<string, string | string[]>}
 */
function forwardable(headers) {
  /** @type {Record<string, string | string[]>} */
  const out = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name.startsWith(':') || HOP_BY_HOP.has(name.toLowerCase())) continue;
    out[name] = value;
  }
  return out;
}

/**
 * @param {{ target: string, rttMs: number, megabitsPerSecond: number, chunkBytes?: number,
 *   clock?: import('./link-pacer.mjs').Clock, certificate?: { key: Buffer, cert: Buffer } }} options
 *   target: http://127.0.0.1:PORT (the bench server); clock: injectable (tests)
 */
export async function startLinkProxy({
  target,
  rttMs,
  megabitsPerSecond,
  chunkBytes,
  clock = REAL_CLOCK,
  certificate = makeSelfSignedCertificate(),
}) {
  if (!(rttMs >= 0)) throw new Error('rttMs must be >= 0');
  const targetUrl = new URL(target);
  const pacer = createPacer({ bitsPerSecond: megabitsPerSecond * 1e6, chunkBytes, clock });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const counters = { requests: 0, http2: 0, delayed: 0, forwarded: 0, answered: 0, aborted: 0 };

  const server = http2.createSecureServer({ ...certificate, allowHTTP1: true }, (req, res) => {
    counters.requests++;
    if (req.httpVersionMajor === 2) counters.http2++;
    let gone = false;
    // Closed before the pacer sent its end: the browser cancelled the stream (RST_STREAM). Its
    // pieces still queued are dropped, as a real server stops sending a reset stream.
    // (`res.writableFinished` cannot tell: an HTTP/2 response reset by the client reports true.)
    let ended = false;
    res.on('close', () => {
      if (!ended) {
        gone = true;
        counters.aborted++;
      }
    });
    const dropped = () => gone;
    const path = req.url ?? '/';
    const headers = { ...forwardable(req.headers), host: targetUrl.host };
    const forward = () => {
      if (gone) return;
      counters.forwarded++;
      const upstream = http.request(
        { host: targetUrl.hostname, port: targetUrl.port, method: req.method, path, headers, agent },
        (up) => {
          const status = up.statusCode ?? 502;
          const outHeaders = forwardable(up.headers);
          pacer.push({ bytes: 0, dropped, send: () => res.writeHead(status, outHeaders) });
          up.on('data', (/** @type {Buffer} */ chunk) => pacer.pushBody(chunk, (c) => res.write(c), dropped));
          up.on('end', () =>
            pacer.push({
              bytes: 0,
              dropped,
              send: () => {
                ended = true;
                counters.answered++;
                res.end();
              },
            }),
          );
        },
      );
      res.on('close', () => {
        if (gone) upstream.destroy();
      });
      upstream.on('error', (error) => {
        if (gone) return;
        if (!res.headersSent) res.writeHead(502);
        ended = true;
        res.end(String(error));
      });
      req.pipe(upstream);
    };
    counters.delayed++;
    clock.schedule(rttMs, forward);
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(undefined));
  });
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  /** @type {Set<import('node:net').Socket | import('node:tls').TLSSocket>} */
  const sockets = new Set();
  server.on('secureConnection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    rttMs,
    megabitsPerSecond,
    counters,
    pacer,
    stop: () =>
      new Promise((resolve) => {
        agent.destroy();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve(undefined));
      }),
  };
}
