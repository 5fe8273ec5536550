/**
 * The Chromium Service Worker tests' page: an iframe inside the worker's scope
 * (sw/client.html) that registers `serveFrames` and fetches as a per-tile viewer does, and the
 * comparison of its answers with Orthanc's own (through the proxy's unlogged direct route).
 */
import type { SwClient } from './sw/client.js';
import { orthanc } from './faults-helpers.js';
import { parseMultipartRelated } from '../../src/transport/multipart.js';
import { parseMediaType } from '../../src/transport/content-type.js';

export const FRAMES_ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=*';

export async function openClient(): Promise<SwClient> {
  const frame = document.createElement('iframe');
  const ready = new Promise<void>((resolve) => frame.addEventListener('load', () => resolve(), { once: true }));
  frame.src = new URL('./sw/client.html', import.meta.url).href;
  document.body.append(frame);
  await ready;
  const win = frame.contentWindow as unknown as Window & { swClient?: SwClient };
  if (win.swClient === undefined)
    await new Promise((resolve) => win.addEventListener('sw-client-ready', resolve, { once: true }));
  return win.swClient!;
}

export interface Part {
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface Answer {
  status: number;
  /** The Content-Type without its boundary. */
  type: string;
  parts: Part[];
  /** The body did not parse as the multipart its Content-Type announces (a broken server answer). */
  malformed: boolean;
  /** Each part as sent, header block and body (latin1), between its delimiter and the next. */
  rawParts: string[];
}

/** The raw text of each part: what lies between one delimiter line and the CRLF before the next. */
function rawPartsOf(boundary: string | undefined, body: Uint8Array): string[] {
  if (boundary === undefined) return [];
  const text = new TextDecoder('latin1').decode(body);
  const pieces = text.split(`--${boundary}`);
  return pieces.slice(1, -1).map((p) => p.replace(/^\r\n/, '').replace(/\r\n$/, ''));
}

export function answerOf(status: number, contentType: string, body: Uint8Array): Answer {
  const media = parseMediaType(contentType);
  const type = contentType.replace(/;\s*boundary=[^;]*/i, '').trim();
  let parts: Part[] = [];
  let malformed = false;
  if (media.type === 'multipart/related') {
    try {
      parts = parseMultipartRelated(contentType, body).map((p) => ({ headers: p.headers, body: p.body.slice() }));
    } catch {
      malformed = true;
    }
  }
  return { status, type, parts, malformed, rawParts: malformed ? [] : rawPartsOf(media.params['boundary'], body) };
}

/** Orthanc's answer to the same request, past the SW, the faults and the log. */
export async function directAnswer(url: string, accept: string): Promise<Answer> {
  const path = new URL(url).pathname;
  const response = await fetch(`${orthanc.proxy.url}/__proxy/direct${path}`, { headers: { Accept: accept } });
  return answerOf(
    response.status,
    response.headers.get('content-type') ?? '',
    new Uint8Array(await response.arrayBuffer()),
  );
}

export async function viaClient(
  client: SwClient,
  url: string,
  accept: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const got = await client.fetch(url, { headers: { Accept: accept, ...headers } });
  return answerOf(got.status, got.contentType, got.body);
}

/** Byte equality of every part as sent (header lines and body), and the same status and type. */
export function sameAnswer(a: Answer, b: Answer): boolean {
  if (a.malformed || b.malformed) return false;
  if (a.status !== b.status || a.type !== b.type || a.parts.length !== b.parts.length) return false;
  if (a.rawParts.length !== a.parts.length || a.rawParts.some((raw, i) => raw !== b.rawParts[i])) return false;
  return a.parts.every((p, i) => {
    const q = b.parts[i]!;
    if (JSON.stringify(Object.entries(p.headers)) !== JSON.stringify(Object.entries(q.headers))) return false;
    if (p.body.byteLength !== q.body.byteLength) return false;
    for (let k = 0; k < p.body.byteLength; k++) if (p.body[k] !== q.body[k]) return false;
    return true;
  });
}
