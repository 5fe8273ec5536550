/**
 * A minimal multipart splitter written apart from the product (it imports nothing from src/):
 * the independent oracle of the fuzz (test/fuzz) and the splitter of the reference frames that
 * the integration and browser tests compare against. Straight from RFC 2046 §5.1.1, on the
 * whole body at once, as a latin1 string (one character per byte, so string offsets are byte
 * offsets):
 * - a delimiter is "--boundary" at the very start of the body or after CRLF;
 * - after it, "--" closes the body; otherwise optional spaces/tabs, then the line end (CRLF, or
 *   a bare LF that real servers send);
 * - the part's header lines run to the first empty line; a line that starts with a space or a
 *   tab continues the previous header; names are lower-cased, values trimmed, repeated names
 *   joined with ", ";
 * - the body runs to the CRLF before the next delimiter; where that CRLF is the empty line's
 *   own (the headers' last line, CRLF, the delimiter), the body is empty.
 * Returns undefined for a body that breaks any of that (no delimiter, no close delimiter, a
 * header line without a colon, a delimiter followed by other text). Slow and simple on purpose;
 * runs in Node and in the browser.
 */

export interface ReferencePart {
  headers: Record<string, string>;
  body: Uint8Array;
}

/** The boundary parameter of a Content-Type, quoted or not (undefined when absent). */
export function referenceBoundary(contentType: string): string | undefined {
  const match = /;\s*boundary\s*=\s*(?:"([^"]*)"|([^;\s]+))/i.exec(contentType);
  const value = match?.[1] ?? match?.[2];
  return value === undefined || value === '' ? undefined : value;
}

/** One character per byte (no TextDecoder: browsers map 'latin1' to windows-1252). */
function latin1(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return text;
}

/** Header text is UTF-8 (RFC 6532 allows it); the latin1 string maps back to the bytes. */
function utf8(text: string): string {
  return new TextDecoder().decode(Uint8Array.from(text, (c) => c.charCodeAt(0)));
}

function headerLines(block: string): Record<string, string> | undefined {
  const headers: Record<string, string> = {};
  let last: string | undefined;
  for (const raw of block.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.length === 0) continue;
    if ((line[0] === ' ' || line[0] === '\t') && last !== undefined) {
      headers[last] = `${headers[last]} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (name.length === 0) return undefined;
    if (name === '__proto__') continue;
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    last = name;
  }
  return headers;
}

/** Splits `body` by `boundary`; undefined when the body is not a well-formed multipart body. */
export function referenceSplit(body: Uint8Array, boundary: string): ReferencePart[] | undefined {
  const { parts, complete } = referenceSplitPrefix(body, boundary);
  return complete ? parts : undefined;
}

/**
 * The parts whose delimiter after them was seen, and whether the body was well formed to its
 * close delimiter (a streaming reader may hand out those parts before it meets the fault).
 */
export function referenceSplitPrefix(
  body: Uint8Array,
  boundary: string,
): { parts: ReferencePart[]; complete: boolean } {
  const parts: ReferencePart[] = [];
  const complete = split(body, boundary, parts);
  return { parts, complete };
}

function split(body: Uint8Array, boundary: string, parts: ReferencePart[]): boolean {
  const text = latin1(body);
  const dashBoundary = `--${boundary}`;
  let at = text.startsWith(dashBoundary) ? 0 : text.indexOf(`\r\n${dashBoundary}`);
  if (at === -1) return false;
  if (at > 0 || !text.startsWith(dashBoundary)) at += 2;
  for (;;) {
    at += dashBoundary.length;
    if (text.startsWith('--', at)) return true;
    while (text[at] === ' ' || text[at] === '\t') at++;
    if (text.startsWith('\r\n', at)) at += 2;
    else if (text[at] === '\n') at += 1;
    else return false;
    // Headers: up to the first empty line (which may be the very first line), or up to the
    // next delimiter for a part with headers only (its CRLF is then the empty line).
    const delimiter = text.indexOf(`\r\n${dashBoundary}`, at);
    let bodyStart: number;
    let block: string;
    if (text.startsWith('\r\n', at) || text[at] === '\n') {
      block = '';
      bodyStart = at + (text[at] === '\n' ? 1 : 2);
    } else {
      const ends = (
        [
          [text.indexOf('\r\n\r\n', at), 4],
          [text.indexOf('\n\n', at), 2],
          [text.indexOf('\r\n\n', at), 3],
          [text.indexOf('\n\r\n', at), 3],
        ] as [number, number][]
      ).filter(([i]) => i !== -1);
      ends.sort((a, b) => a[0] - b[0]);
      const first = ends[0];
      if (delimiter !== -1 && (first === undefined || delimiter < first[0])) {
        const headers = headerLines(utf8(text.slice(at, delimiter)));
        if (headers === undefined) return false;
        parts.push({ headers, body: body.slice(delimiter, delimiter) });
        at = delimiter + 2;
        continue;
      }
      if (first === undefined) return false;
      block = text.slice(at, first[0]);
      bodyStart = first[0] + first[1];
    }
    const headers = headerLines(utf8(block));
    if (headers === undefined) return false;
    const next = text.indexOf(`\r\n${dashBoundary}`, Math.max(at, bodyStart - 2));
    if (next === -1) return false;
    // The CRLF before a delimiter belongs to the delimiter (RFC 2046 §5.1.1): where it is the
    // empty line's own CRLF (headers, CRLF, then the delimiter), the part has no body.
    parts.push({ headers, body: body.slice(bodyStart, Math.max(bodyStart, next)) });
    at = next + 2;
  }
}
