/**
 * Media-type parsing for DICOMweb answers (RFC 9110 §8.3.1, RFC 2046 §5.1.1).
 *
 * Lenient on purpose: servers send extra spaces, upper-case names and quoted values that hold
 * `;` and `=` (Orthanc: `multipart/related; type="image/jpeg; transfer-syntax=1.2.840.10008.1.2.4.50";
 * boundary=…`). `parseMediaType` never throws; `boundaryOf` throws when no usable boundary exists.
 * `parseHeaderBlock` reads the header lines of one multipart part.
 */
import { FrameCacheError } from '../shared/errors.js';

export interface MediaType {
  /** `type/subtype`, lower-cased and trimmed, e.g. `multipart/related` ('' when absent). */
  type: string;
  /** Parameter names lower-cased; values unquoted (backslash escapes resolved), case kept. */
  params: Record<string, string>;
}

/** RFC 2046 allows 70 characters; Orthanc writes two UUIDs (73), so accept up to this many. */
export const MAX_BOUNDARY_LENGTH = 200;

const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

/**
 * Parses a Content-Type value. Duplicate parameters: the first wins. A parameter without `=`
 * is skipped; an unterminated quoted string runs to the end of the value.
 */
export function parseMediaType(value: string): MediaType {
  const length = value.length;
  let i = value.indexOf(';');
  if (i < 0) i = length;
  const type = value.slice(0, i).trim().toLowerCase();
  const params: Record<string, string> = {};
  while (i < length) {
    i++; // past ';'
    while (i < length && isSpace(value.charCodeAt(i))) i++;
    const nameStart = i;
    while (i < length) {
      const code = value.charCodeAt(i);
      if (code === SEMICOLON || code === EQUALS) break;
      i++;
    }
    const name = value.slice(nameStart, i).trim().toLowerCase();
    if (i >= length || value.charCodeAt(i) === SEMICOLON) continue; // no value: skip
    i++; // past '='
    while (i < length && isSpace(value.charCodeAt(i))) i++;
    let paramValue: string;
    if (i < length && value.charCodeAt(i) === QUOTE) {
      i++;
      let text = '';
      let runStart = i;
      while (i < length) {
        const code = value.charCodeAt(i);
        if (code === QUOTE) break;
        if (code === BACKSLASH && i + 1 < length) {
          text += value.slice(runStart, i);
          runStart = i + 1; // keep the escaped character itself
          i += 2;
          continue;
        }
        i++;
      }
      paramValue = text + value.slice(runStart, i);
      // Skip the closing quote and anything up to the next ';' (garbage after a quoted string).
      const next = value.indexOf(';', i);
      i = next < 0 ? length : next;
    } else {
      const next = value.indexOf(';', i);
      const end = next < 0 ? length : next;
      paramValue = value.slice(i, end).trim();
      i = end;
    }
    if (name !== '' && name !== '__proto__' && !Object.hasOwn(params, name)) params[name] = paramValue;
  }
  return { type, params };
}

/** Throws when `boundary` cannot delimit parts: empty, too long, or not printable ASCII. */
export function checkBoundary(boundary: string): void {
  if (boundary.length === 0) throw new FrameCacheError('multipart', 'Multipart boundary is empty');
  if (boundary.length > MAX_BOUNDARY_LENGTH) {
    throw new FrameCacheError(
      'multipart',
      `Multipart boundary is ${boundary.length} characters long, more than ${MAX_BOUNDARY_LENGTH}`,
    );
  }
  for (let i = 0; i < boundary.length; i++) {
    const code = boundary.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) {
      throw new FrameCacheError(
        'multipart',
        `Multipart boundary ${JSON.stringify(boundary)} has a character outside printable ASCII at index ${i}`,
      );
    }
  }
}

/**
 * The `boundary` parameter of a `multipart/*` Content-Type. Throws FrameCacheError 'multipart'
 * when the type is not multipart or the boundary is absent, empty, longer than
 * MAX_BOUNDARY_LENGTH or not printable ASCII.
 */
export function boundaryOf(contentType: string): string {
  const { type, params } = parseMediaType(contentType);
  if (!type.startsWith('multipart/')) {
    throw new FrameCacheError('multipart', `Expected a multipart Content-Type, got ${JSON.stringify(contentType)}`);
  }
  const boundary = params['boundary'];
  if (boundary === undefined) {
    throw new FrameCacheError('multipart', `Content-Type ${JSON.stringify(contentType)} has no boundary parameter`);
  }
  checkBoundary(boundary);
  return boundary;
}

/**
 * Parses a MIME part's header block (lines ending in CRLF or bare LF, empty lines skipped):
 * names lower-cased, values trimmed, repeated names joined with ", ", folded lines unfolded.
 * Stops at the first line that has no `name:` and returns it as `badLine`.
 */
export function parseHeaderBlock(text: string): { headers: Record<string, string>; badLine?: string } {
  const headers: Record<string, string> = {};
  let previous = '';
  for (let line of text.split('\n')) {
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line === '') continue;
    const first = line.charCodeAt(0);
    if ((first === 0x20 || first === 0x09) && previous !== '') {
      headers[previous] = `${headers[previous]} ${line.trim()}`; // obsolete line folding
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim().toLowerCase() : '';
    if (name === '') return { headers, badLine: line };
    const value = line.slice(colon + 1).trim();
    if (name === '__proto__') continue;
    headers[name] = Object.hasOwn(headers, name) ? `${headers[name]}, ${value}` : value;
    previous = name;
  }
  return { headers };
}
