// Fault modes of the test proxy (proxy.mjs): each takes Orthanc's answer to one request and
// breaks it one way. The proxy asks Orthanc for an identity-encoded answer whenever a fault is
// active, so the modes that rewrite a body see the plain bytes. Answers that are not 2xx pass
// through unchanged (except for the status and stall modes, which never look at the body).
//
//   status-NNN         answer NNN at once (`retryAfter` seconds adds a Retry-After header)
//   reset              send the headers and the first `bytes` body bytes (default: half), then
//                      destroy the socket (the client sees a connection reset mid-body)
//   truncate           end the answer cleanly but early (chunked, so no Content-Length mismatch
//                      gives it away): in the middle of part `part` of a multipart body
//                      (default: the second part, else the first), else in the middle of the body
//   drop-part          leave part `part` (default: the second, else the first) out of a multipart body
//   wrong-location     rewrite the Content-Location of part `part` (default: the second, else the
//                      first) to name frame N+1 instead of N (or add a wrong one when it has none)
//   drip               send the body `bytesPerMs` bytes (default 8) per millisecond
//   stall              send the headers, then nothing (until the client gives up)
//   stall-headers      send nothing at all, not even the status line
//   single-part        answer a multipart body with its first part alone, under that part's
//                      Content-Type (frames: image/jpeg ...; instances: application/dicom)
//   gzip-broken        label the answer Content-Encoding: gzip and send a gzip header followed
//                      by an invalid deflate block (decoding fails at once)
//   gzip-truncated     a valid gzip stream of the body cut in the middle, ended cleanly
//   gzip-bad-crc       a gzip stream whose data decodes completely but whose CRC-32 is wrong
//   evil-metadata      rewrite a DICOM JSON answer: every BulkDataURI and a RetrieveURL point at
//                      `origin`, and some SOPInstanceUIDs become path-traversal or URL strings
// With `stripLocations: true` the body modes first remove the Content-Location header of every
// part (as servers that send none), keeping parts with no other header unchanged.
import zlib from 'node:zlib';

export const FAULT_MODES = [
  'status-NNN',
  'reset',
  'truncate',
  'drop-part',
  'wrong-location',
  'drip',
  'stall',
  'stall-headers',
  'single-part',
  'gzip-broken',
  'gzip-truncated',
  'gzip-bad-crc',
  'evil-metadata',
];

/** Why `fault` cannot be applied, or undefined when it can. */
export function checkFault(fault) {
  if (typeof fault !== 'object' || fault === null || typeof fault.mode !== 'string')
    return 'a fault is an object with a string `mode`';
  if (!/^status-\d{3}$/.test(fault.mode) && !FAULT_MODES.includes(fault.mode))
    return `unknown fault mode ${fault.mode}`;
  return undefined;
}

/** Answers held open by the stall modes: ended by releaseHeld() (proxy reset or stop). */
const held = new Set();
/** Bumped by releaseHeld(): a request that arrived before it is not held afterwards either. */
let epoch = 0;

/** The current release epoch; the proxy passes the one of each request's arrival to applyFault. */
export function currentEpoch() {
  return epoch;
}

/** Ends every answer a stall mode is holding open (and those it is about to hold). */
export function releaseHeld() {
  epoch++;
  for (const res of held) res.destroy();
  held.clear();
}

function hold(res, since) {
  if (since !== undefined && since !== epoch) {
    res.destroy();
    return;
  }
  held.add(res);
  res.on('close', () => held.delete(res));
}

/** Copy of `headers` without the body-framing headers the fault rewrites. */
function withoutFraming(headers, extra = []) {
  const out = { ...headers };
  for (const name of ['content-length', 'content-encoding', 'transfer-encoding', 'connection', 'keep-alive', ...extra])
    delete out[name];
  return out;
}

function collect(up) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    up.on('data', (c) => chunks.push(c));
    up.on('end', () => resolve(Buffer.concat(chunks)));
    up.on('error', reject);
  });
}

/** Parts of a multipart body: offsets of each delimiter, headers and body, and of the close delimiter. */
export function splitMultipart(contentType, body) {
  const match = /boundary="?([^";]+)"?/i.exec(contentType ?? '');
  if (!/^\s*multipart\//i.test(contentType ?? '') || !match) return undefined;
  const delimiter = Buffer.from(`--${match[1]}`);
  const starts = [];
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    if (at === 0 || (body[at - 2] === 0x0d && body[at - 1] === 0x0a)) starts.push(at === 0 ? 0 : at - 2);
    at = body.indexOf(delimiter, at + delimiter.length);
  }
  const parts = [];
  let close = body.length;
  for (let i = 0; i < starts.length; i++) {
    const start = starts[i];
    const afterDelimiter = start + (start === 0 && body[0] === 0x2d ? 0 : 2) + delimiter.length;
    if (body[afterDelimiter] === 0x2d && body[afterDelimiter + 1] === 0x2d) {
      close = start;
      break;
    }
    const headersStart = body.indexOf('\r\n', afterDelimiter) + 2;
    const blank = body.indexOf('\r\n\r\n', headersStart - 2);
    const bodyStart = blank + 4;
    const end = starts[i + 1] ?? body.length;
    parts.push({ start, headersStart, headersEnd: Math.max(blank, headersStart), bodyStart, bodyEnd: end });
  }
  return { parts, close };
}

function defaultPart(fault, count) {
  return Math.min(fault.part ?? 1, Math.max(0, count - 1));
}

/** A gzip member whose deflate data starts with a block of the reserved type 3: invalid at once. */
function brokenGzip() {
  return Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff, 0x07, 0xff, 0xff, 0xff, 0xff]);
}

function rewriteMetadata(body, origin) {
  const datasets = JSON.parse(body.toString('utf8'));
  const evilUids = [
    `../../../../evil`,
    `${origin}/dicom-web/studies/1/series/2/instances/3`,
    `1.2.3?x=1#`,
    `//${new URL(origin).host}/x`,
  ];
  datasets.forEach((dataset, i) => {
    const visit = (node) => {
      if (Array.isArray(node)) return node.forEach(visit);
      if (node === null || typeof node !== 'object') return;
      if (typeof node.BulkDataURI === 'string') node.BulkDataURI = `${origin}/bulk/${i}`;
      for (const value of Object.values(node)) visit(value);
    };
    visit(dataset);
    dataset['00081190'] = { vr: 'UR', Value: [`${origin}/dicom-web/retrieve/${i}`] };
    if (i < evilUids.length) dataset['00080018'] = { vr: 'UI', Value: [evilUids[i]] };
  });
  return Buffer.from(JSON.stringify(datasets));
}

/**
 * @param {import('./faults.d.mts').Fault} fault
 * @param {import('./faults.d.mts').FaultContext} ctx
 */
export function applyFault(fault, { up, res, status, headers, entry, epoch: since }) {
  const cors = { 'access-control-allow-origin': headers['access-control-allow-origin'] };
  const statusMatch = /^status-(\d{3})$/.exec(fault.mode);
  if (statusMatch) {
    up.resume();
    const injected = Number(statusMatch[1]);
    entry.status = injected;
    const extra = fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) };
    res.writeHead(injected, { ...cors, ...extra }).end(`injected ${injected}`);
    return;
  }
  if (fault.mode === 'stall-headers') {
    up?.resume();
    hold(res, since);
    return;
  }
  if (fault.mode === 'stall') {
    up.resume();
    res.writeHead(status, withoutFraming(headers));
    res.flushHeaders();
    hold(res, since);
    return;
  }
  collect(up).then(
    (body) => {
      entry.bytes = body.length;
      if (status < 200 || status > 299) {
        res.writeHead(status, headers).end(body);
        return;
      }
      rewrite(fault, res, status, headers, body, entry);
    },
    (error) => res.destroy(error),
  );
}

/** The body with every part's Content-Location header line removed. */
function withoutLocations(body, multipart) {
  const pieces = [];
  let at = 0;
  for (const part of multipart.parts) {
    const block = body.subarray(part.headersStart, part.headersEnd).toString('latin1');
    const lines = block.split('\r\n').filter((line) => !/^content-location:/i.test(line));
    const kept = lines.length > 0 ? lines.join('\r\n') : block;
    pieces.push(body.subarray(at, part.headersStart), Buffer.from(kept, 'latin1'));
    at = part.headersEnd;
  }
  pieces.push(body.subarray(at));
  return Buffer.concat(pieces);
}

function rewrite(fault, res, status, headers, original, entry) {
  const contentType = String(headers['content-type'] ?? '');
  let body = original;
  let multipart = splitMultipart(contentType, body);
  if (fault.stripLocations && multipart) {
    body = withoutLocations(body, multipart);
    multipart = splitMultipart(contentType, body);
  }
  const note = (text) => (entry.fault = `${fault.mode} (${text})`);
  switch (fault.mode) {
    case 'reset': {
      const bytes = Math.min(fault.bytes ?? Math.floor(body.length / 2), body.length - 1);
      res.writeHead(status, { ...withoutFraming(headers), 'content-length': String(body.length) });
      res.write(body.subarray(0, Math.max(0, bytes)), () => res.socket?.destroy());
      return;
    }
    case 'truncate': {
      let cut = Math.floor(body.length / 2);
      if (multipart && multipart.parts.length > 0) {
        const part = multipart.parts[defaultPart(fault, multipart.parts.length)];
        cut = part.bodyStart + Math.floor((part.bodyEnd - part.bodyStart) / 2);
      }
      res.writeHead(status, withoutFraming(headers));
      res.end(body.subarray(0, cut));
      return;
    }
    case 'drop-part':
    case 'wrong-location':
    case 'single-part': {
      if (!multipart || multipart.parts.length === 0) {
        note('not multipart: passed through');
        res.writeHead(status, withoutFraming(headers)).end(body);
        return;
      }
      const index = defaultPart(fault, multipart.parts.length);
      const part = multipart.parts[index];
      if (fault.mode === 'single-part') {
        const first = multipart.parts[0];
        const partHeaders = body.subarray(first.headersStart, first.headersEnd).toString('latin1');
        const type = /^content-type:\s*(.*)$/im.exec(partHeaders)?.[1]?.trim() ?? 'application/octet-stream';
        res
          .writeHead(status, { ...withoutFraming(headers), 'content-type': type })
          .end(body.subarray(first.bodyStart, first.bodyEnd));
        return;
      }
      if (fault.mode === 'drop-part') {
        const next = multipart.parts[index + 1]?.start ?? multipart.close;
        res
          .writeHead(status, withoutFraming(headers))
          .end(Buffer.concat([body.subarray(0, part.start), body.subarray(next)]));
        return;
      }
      const partHeaders = body.subarray(part.headersStart, part.headersEnd).toString('latin1');
      const located = /\/frames\/(\d+)/.exec(partHeaders);
      const rewritten = located
        ? partHeaders.replace(/\/frames\/(\d+)/, `/frames/${Number(located[1]) + 1}`)
        : `${partHeaders}\r\nContent-Location: /frames/999999`;
      res.writeHead(status, withoutFraming(headers));
      res.end(
        Buffer.concat([
          body.subarray(0, part.headersStart),
          Buffer.from(rewritten, 'latin1'),
          body.subarray(part.headersEnd),
        ]),
      );
      return;
    }
    case 'drip': {
      // 8 bytes a ms by default: above the transport's low-speed limit (1 KiB a second).
      const perTick = Math.max(1, fault.bytesPerMs ?? 8);
      res.writeHead(status, withoutFraming(headers));
      let at = 0;
      const timer = setInterval(() => {
        if (at >= body.length) {
          clearInterval(timer);
          res.end();
          return;
        }
        res.write(body.subarray(at, at + perTick));
        at += perTick;
      }, 1);
      res.on('close', () => clearInterval(timer));
      return;
    }
    case 'gzip-broken':
      res.writeHead(status, { ...withoutFraming(headers), 'content-encoding': 'gzip' }).end(brokenGzip());
      return;
    case 'gzip-truncated': {
      const gz = zlib.gzipSync(body);
      res
        .writeHead(status, { ...withoutFraming(headers), 'content-encoding': 'gzip' })
        .end(gz.subarray(0, Math.floor(gz.length / 2)));
      return;
    }
    case 'gzip-bad-crc': {
      const gz = Buffer.from(zlib.gzipSync(body));
      gz[gz.length - 8] ^= 0xff; // CRC-32 of the trailer
      res.writeHead(status, { ...withoutFraming(headers), 'content-encoding': 'gzip' }).end(gz);
      return;
    }
    case 'evil-metadata': {
      if (!/json/i.test(contentType) || typeof fault.origin !== 'string') {
        note('not JSON or no origin: passed through');
        res.writeHead(status, withoutFraming(headers)).end(body);
        return;
      }
      res.writeHead(status, withoutFraming(headers)).end(rewriteMetadata(body, fault.origin));
      return;
    }
    default:
      res.writeHead(500, withoutFraming(headers)).end(`unknown fault mode ${fault.mode}`);
  }
}
