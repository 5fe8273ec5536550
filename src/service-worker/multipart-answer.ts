/**
 * Builds the multipart/related answer the server would have sent for a frames request: one part
 * per requested frame in the requested order, each with the server's part headers (Content-Type
 * with its transfer-syntax, Content-Location rebuilt for that frame, Content-Length), a fresh
 * boundary in the answer's Content-Type.
 */
import type { PartInfo } from './part-info.js';

const encoder = new TextEncoder();

/** Names whose usual spelling is not plain title case. */
const SPELLING: Record<string, string> = { 'mime-version': 'MIME-Version', 'content-id': 'Content-ID' };

/** The usual header-name spelling (`content-type` -> `Content-Type`, `mime-version` -> `MIME-Version`). */
function headerName(name: string): string {
  return (
    SPELLING[name] ?? name.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase())
  );
}

function partHeaderBlock(info: PartInfo, frameNumber: number, byteLength: number): string {
  const values = new Map(info.headers);
  const lines: string[] = [];
  for (const name of info.order) {
    let value: string | undefined;
    if (name === 'content-location')
      value = info.locationPrefix === undefined ? undefined : `${info.locationPrefix}/frames/${frameNumber}`;
    else if (name === 'content-length') value = String(byteLength);
    else value = values.get(name);
    if (value !== undefined) lines.push(`${headerName(name)}: ${value}`);
  }
  return lines.join('\r\n');
}

export function newBoundary(): string {
  return `${crypto.randomUUID()}-${crypto.randomUUID()}`;
}

export function buildMultipartAnswer(
  info: PartInfo,
  frames: readonly [frameNumber: number, bytes: Uint8Array][],
  boundary: string = newBoundary(),
): { contentType: string; body: Uint8Array } {
  const pieces: Uint8Array[] = [];
  for (const [frameNumber, bytes] of frames) {
    pieces.push(
      encoder.encode(`--${boundary}\r\n${partHeaderBlock(info, frameNumber, bytes.byteLength)}\r\n\r\n`),
      bytes,
      encoder.encode('\r\n'),
    );
  }
  pieces.push(encoder.encode(`--${boundary}--\r\n`));
  let length = 0;
  for (const p of pieces) length += p.byteLength;
  const body = new Uint8Array(length);
  let offset = 0;
  for (const p of pieces) {
    body.set(p, offset);
    offset += p.byteLength;
  }
  return { contentType: `${info.answerType}; boundary=${boundary}`, body };
}
