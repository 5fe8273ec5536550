// A recording HTTP proxy on loopback in front of Orthanc: adds CORS headers (browser tests run
// on Vitest's own origin), logs every request it forwards (tests assert request counts from
// it), and can inject faults (see faults.mjs). Control endpoints under /__proxy/:
//   GET  /__proxy/log            -> JSON array of { method, path, status, bytes, fault }
//   POST /__proxy/reset          -> clears the log and any fault
//   POST /__proxy/fault          -> body { mode, match?, times?, ... }: inject `mode` into matching requests
//   GET  /__proxy/direct/<path>  -> Orthanc's answer to /<path>, never faulted nor logged (test references)
// Log entries also carry `start` and `end` (ms on the proxy's monotonic clock) so tests can tell
// which requests were in flight together.
import http from 'node:http';
import { applyFault, checkFault, currentEpoch, releaseHeld } from './faults.mjs';

const CONTROL = '/__proxy/';

function corsHeaders(req) {
  return {
    'access-control-allow-origin': req.headers.origin ?? '*',
    'access-control-allow-credentials': 'true',
    'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '*',
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    'access-control-expose-headers': 'content-type, content-length, content-location, retry-after',
    'access-control-max-age': '600',
    vary: 'origin',
  };
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * @param {{ target: string, host?: string }} options  target: http://127.0.0.1:PORT of Orthanc
 */
export async function startProxy({ target, host = '127.0.0.1' }) {
  const targetUrl = new URL(target);
  const log = [];
  /** @type {{ mode: string, match?: string, times?: number } | undefined} */
  let fault;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  const server = http.createServer(async (req, res) => {
    const cors = corsHeaders(req);
    if (req.method === 'OPTIONS') {
      res.writeHead(204, cors).end();
      return;
    }
    let path = req.url ?? '/';
    const direct = path.startsWith(`${CONTROL}direct/`);
    if (direct) path = path.slice(`${CONTROL}direct`.length);
    if (path.startsWith(CONTROL)) {
      const action = path.slice(CONTROL.length).split('?')[0];
      if (action === 'log') {
        res.writeHead(200, { ...cors, 'content-type': 'application/json' }).end(JSON.stringify(log));
      } else if (action === 'reset') {
        log.length = 0;
        fault = undefined;
        releaseHeld();
        res.writeHead(204, cors).end();
      } else if (action === 'fault' && req.method === 'POST') {
        const body = (await readBody(req)).toString('utf8');
        let value;
        try {
          value = body ? JSON.parse(body) : undefined;
        } catch {
          value = null;
        }
        const problem = value === undefined ? undefined : checkFault(value);
        if (problem !== undefined) {
          res.writeHead(400, cors).end(problem);
          return;
        }
        fault = value;
        res.writeHead(204, cors).end();
      } else {
        res.writeHead(404, cors).end();
      }
      return;
    }
    const entry = {
      method: req.method,
      path,
      status: 0,
      bytes: 0,
      fault: undefined,
      start: performance.now(),
      end: undefined,
    };
    if (!direct) log.push(entry);
    res.on('close', () => (entry.end = performance.now()));
    let active;
    if (
      !direct &&
      fault &&
      (!fault.match || path.includes(fault.match)) &&
      (fault.times === undefined || fault.times > 0)
    ) {
      active = fault;
      if (fault.times !== undefined) fault.times--;
      entry.fault = fault.mode;
    }
    const headers = { ...req.headers, host: targetUrl.host };
    delete headers.origin;
    delete headers.referer;
    // Faults that rewrite a body need it plain; they set their own Content-Encoding.
    if (active) delete headers['accept-encoding'];
    const epoch = currentEpoch();
    if (active?.mode === 'stall-headers') {
      // Nothing will be sent: Orthanc is not asked.
      req.resume();
      applyFault(active, { up: undefined, res, status: 0, headers: cors, entry, epoch });
      return;
    }
    const upstream = http.request(
      { host: targetUrl.hostname, port: targetUrl.port, method: req.method, path, headers, agent },
      (up) => {
        entry.status = up.statusCode ?? 0;
        const outHeaders = { ...up.headers, ...cors };
        if (active) {
          applyFault(active, { up, res, status: up.statusCode ?? 502, headers: outHeaders, entry, epoch });
          return;
        }
        res.writeHead(up.statusCode ?? 502, outHeaders);
        up.on('data', (chunk) => (entry.bytes += chunk.length));
        up.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      entry.status = 502;
      if (!res.headersSent) res.writeHead(502, cors);
      res.end(String(error));
    });
    req.pipe(upstream);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  const url = `http://${host}:${port}`;
  return {
    url,
    port,
    log,
    clearLog: () => void (log.length = 0),
    setFault: (value) => void (fault = value),
    stop: () =>
      new Promise((resolve) => {
        releaseHeld();
        agent.destroy();
        server.closeAllConnections?.();
        server.close(() => resolve(undefined));
      }),
  };
}
