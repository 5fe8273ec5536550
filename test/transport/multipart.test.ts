import { describe, expect, it } from 'vitest';
import { FrameCacheError } from '../../src/shared/errors.js';
import { MAX_HEADER_BYTES, parseMultipartRelated } from '../../src/transport/multipart.js';
import { referenceSplit } from '../helpers/reference-multipart.js';
import {
  DEFAULT_BOUNDARY,
  ORTHANC_LIKE_BOUNDARY,
  buildMultipart,
  concatBytes,
  multipartContentType,
  noiseBytes,
  orthancContentType,
  orthancFrameHeaders,
  toBytes,
} from '../helpers/multipart-builder.js';

const CT = multipartContentType();
const INSTANCE = 'http://127.0.0.1:8042/dicom-web/studies/1.2.3/series/1.2.4/instances/1.2.5';

function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

function expectMultipartError(run: () => unknown, message: RegExp): FrameCacheError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(FrameCacheError);
  expect((caught as FrameCacheError).code).toBe('multipart');
  expect((caught as FrameCacheError).message).toMatch(message);
  return caught as FrameCacheError;
}

describe('parseMultipartRelated()', () => {
  it("parses Orthanc's frames answer: header form, 70-character boundary, no preamble", () => {
    const bodies = [noiseBytes(9898, 1), noiseBytes(10202, 2)];
    const body = buildMultipart(
      bodies.map((frame, i) => ({ headers: orthancFrameHeaders(INSTANCE, i + 1, frame.length), body: frame })),
      { boundary: ORTHANC_LIKE_BOUNDARY },
    );
    expect(text(body.subarray(0, 72))).toBe(`--${ORTHANC_LIKE_BOUNDARY}`);
    const parts = parseMultipartRelated(orthancContentType(), body);
    expect(parts).toHaveLength(2);
    expect(parts[0]!.headers).toEqual({
      'content-location': `${INSTANCE}/frames/1`,
      'content-type': 'image/jpeg; transfer-syntax=1.2.840.10008.1.2.4.50',
      'content-length': '9898',
      'mime-version': '1.0',
    });
    expect(parts[1]!.headers['content-location']).toBe(`${INSTANCE}/frames/2`);
    expect(parts.map((part) => part.body)).toEqual(bodies);
  });

  it('returns views sharing the input buffer, never copies', () => {
    const outer = new Uint8Array(4096);
    const built = buildMultipart([{ body: 'first' }, { body: '' }, { body: noiseBytes(1000) }]);
    outer.set(built, 100);
    const input = outer.subarray(100, 100 + built.length);
    const parts = parseMultipartRelated(CT, input);
    expect(parts).toHaveLength(3);
    for (const part of parts) expect(part.body.buffer).toBe(input.buffer);
    expect(parts[0]!.body.byteOffset).toBe(100 + `--${DEFAULT_BOUNDARY}\r\n\r\n`.length);
    expect(parts[1]!.body.length).toBe(0);
    expect(parts[2]!.body).toEqual(noiseBytes(1000));
  });

  it('accepts a quoted or an unquoted boundary', () => {
    const boundary = 'with:colon=and space';
    const body = buildMultipart([{ body: 'x' }], { boundary });
    expect(parseMultipartRelated(multipartContentType(boundary, { quoteBoundary: true }), body)).toHaveLength(1);
    const plain = buildMultipart([{ body: 'y' }], { boundary: 'plain_token-1' });
    expect(text(parseMultipartRelated(multipartContentType('plain_token-1'), plain)[0]!.body)).toBe('y');
  });

  it('accepts an upper-case MULTIPART/RELATED and BOUNDARY=', () => {
    const body = buildMultipart([{ body: 'data' }], { boundary: 'UPPER' });
    const parts = parseMultipartRelated('MULTIPART/RELATED; TYPE="APPLICATION/OCTET-STREAM"; BOUNDARY=UPPER', body);
    expect(text(parts[0]!.body)).toBe('data');
  });

  it('accepts long boundaries (70, 150 and 200 characters)', () => {
    for (const length of [70, 150, 200]) {
      const boundary = 'x'.repeat(length - 3) + '-=_';
      const body = buildMultipart([{ body: 'a' }, { body: 'bb' }], { boundary });
      expect(
        parseMultipartRelated(multipartContentType(boundary, { quoteBoundary: true }), body).map((p) => text(p.body)),
      ).toEqual(['a', 'bb']);
    }
  });

  it('ignores preamble and epilogue, even ones holding boundary-like text', () => {
    const body = buildMultipart([{ headers: { A: '1' }, body: 'one' }, { body: 'two' }], {
      preamble: `This is a preamble --${DEFAULT_BOUNDARY} \n--${DEFAULT_BOUNDARY}x`,
      epilogue: `\r\n--${DEFAULT_BOUNDARY}\r\nB: 2\r\n\r\nnot a part`,
    });
    const parts = parseMultipartRelated(CT, body);
    expect(parts.map((p) => text(p.body))).toEqual(['one', 'two']);
    expect(parts[0]!.headers).toEqual({ a: '1' });
  });

  it('accepts a CRLF before the first delimiter without a preamble', () => {
    const body = buildMultipart([{ body: 'x' }], { leadingCrlf: true });
    expect(parseMultipartRelated(CT, body).map((p) => text(p.body))).toEqual(['x']);
  });

  it('accepts transport padding after the boundary and a close delimiter without CRLF', () => {
    const body = buildMultipart([{ body: 'x' }, { body: 'y' }], { padding: ' \t ', closeLineEnding: false });
    expect(parseMultipartRelated(CT, body).map((p) => text(p.body))).toEqual(['x', 'y']);
  });

  it('returns empty parts and parts without headers', () => {
    const body = buildMultipart([{ body: '' }, { headers: { 'Content-Type': 'a/b' }, body: '' }, { body: 'z' }]);
    const parts = parseMultipartRelated(CT, body);
    expect(parts.map((p) => p.body.length)).toEqual([0, 0, 1]);
    expect(parts.map((p) => p.headers)).toEqual([{}, { 'content-type': 'a/b' }, {}]);
  });

  it("reads a headers-only part whose empty line is the next delimiter's CRLF as an empty body", () => {
    const body = buildMultipart([
      { headers: { 'Content-Type': 'a/b' }, body: '', omitBlankLine: true },
      { body: '', omitBlankLine: true },
      { headers: { B: '1' }, body: 'x' },
    ]);
    expect(text(body)).toContain(`a/b\r\n\r\n--${DEFAULT_BOUNDARY}\r\n\r\n--${DEFAULT_BOUNDARY}\r\nB: 1`);
    const parts = parseMultipartRelated(CT, body);
    expect(parts.map((p) => [p.headers, text(p.body)])).toEqual([
      [{ 'content-type': 'a/b' }, ''],
      [{}, ''],
      [{ b: '1' }, 'x'],
    ]);
    // The fuzz's independent oracle reads it the same way (it once gave the empty line's CRLF as
    // a body: `npm run fuzz -- --seed 1233984403` on the 2026-12-06 sample slides).
    expect(referenceSplit(body, DEFAULT_BOUNDARY)?.map((p) => [p.headers, text(p.body)])).toEqual([
      [{ 'content-type': 'a/b' }, ''],
      [{}, ''],
      [{ b: '1' }, 'x'],
    ]);
  });

  it('reads a last part whose headers run straight into the close delimiter as an empty body', () => {
    // The fuzz's case: header lines, the empty line, then the close delimiter.
    const body = buildMultipart([
      { headers: { B: '1' }, body: 'x' },
      { headers: { 'Content-Type': 'a/b', 'Content-Length': '119' }, body: '', omitBlankLine: true },
    ]);
    expect(text(body)).toContain(`Content-Length: 119\r\n\r\n--${DEFAULT_BOUNDARY}--`);
    const expected = [
      [{ b: '1' }, 'x'],
      [{ 'content-type': 'a/b', 'content-length': '119' }, ''],
    ];
    expect(parseMultipartRelated(CT, body).map((p) => [p.headers, text(p.body)])).toEqual(expected);
    expect(referenceSplit(body, DEFAULT_BOUNDARY)?.map((p) => [p.headers, text(p.body)])).toEqual(expected);
  });

  it('returns no parts for a body that is only the close delimiter', () => {
    expect(parseMultipartRelated(CT, toBytes(`--${DEFAULT_BOUNDARY}--`))).toEqual([]);
  });

  it('treats boundary text not preceded by CRLF as data', () => {
    const tricky = [
      `ab--${DEFAULT_BOUNDARY}`,
      `x--${DEFAULT_BOUNDARY}\r\n`,
      `\n--${DEFAULT_BOUNDARY}\r\n`,
      `\r--${DEFAULT_BOUNDARY}--`,
      `\r\n--${DEFAULT_BOUNDARY.slice(0, -1)}`,
      `\r\n-${DEFAULT_BOUNDARY}`,
      `\r\n\r\n--`,
    ];
    const body = buildMultipart(tricky.map((data) => ({ body: data })));
    expect(parseMultipartRelated(CT, body).map((p) => text(p.body))).toEqual(tricky);
  });

  it('lower-cases header names, trims values, joins repeated names and unfolds folded lines', () => {
    const body = concatBytes([
      `--${DEFAULT_BOUNDARY}\r\n`,
      'Content-TYPE :   image/jpeg  \r\nX-Rep: a\r\nx-rep: b\r\nX-Fold: one\r\n  two\r\nEmpty:\r\n\r\n',
      'body',
      `\r\n--${DEFAULT_BOUNDARY}--`,
    ]);
    expect(parseMultipartRelated(CT, body)[0]!.headers).toEqual({
      'content-type': 'image/jpeg',
      'x-rep': 'a, b',
      'x-fold': 'one two',
      empty: '',
    });
  });

  it('tolerates header lines ending in a bare LF', () => {
    const body = buildMultipart([{ headers: { A: '1', B: '2' }, body: 'x' }, { body: 'y' }], {
      headerLineEnding: '\n',
    });
    const parts = parseMultipartRelated(CT, body);
    expect(parts.map((p) => [p.headers, text(p.body)])).toEqual([
      [{ a: '1', b: '2' }, 'x'],
      [{}, 'y'],
    ]);
  });

  describe('on malformed input', () => {
    it('throws when the Content-Type has no boundary', () => {
      expectMultipartError(
        () => parseMultipartRelated('multipart/related; type="image/jpeg"', toBytes('x')),
        /no boundary/,
      );
    });

    it('throws when the body holds no delimiter', () => {
      const error = expectMultipartError(() => parseMultipartRelated(CT, toBytes('just some bytes')), /no delimiter/);
      expect(error.message).toMatch(/at byte 15\)/);
    });

    it('throws for an empty body', () => {
      expectMultipartError(() => parseMultipartRelated(CT, new Uint8Array(0)), /no delimiter/);
    });

    it('throws when the close delimiter is missing, saying where the last part started', () => {
      const body = buildMultipart([{ body: 'one' }, { body: 'two' }], { close: false });
      expectMultipartError(() => parseMultipartRelated(CT, body), /inside part 2 \(started at byte \d+\).*at byte \d+/);
    });

    it('throws when the body is cut inside a part, inside headers or inside a delimiter line', () => {
      const whole = buildMultipart([{ headers: { 'Content-Type': 'a/b' }, body: 'one' }, { body: 'two' }]);
      const cuts: [number, RegExp][] = [
        [text(whole).indexOf('one') + 2, /inside part 1/],
        [DEFAULT_BOUNDARY.length + 10, /inside the headers of part 1/],
        [whole.length - 4, /inside a delimiter line after part 2/],
      ];
      for (const [cut, message] of cuts) {
        const error = expectMultipartError(() => parseMultipartRelated(CT, whole.subarray(0, cut)), message);
        expect(error.message).toContain(`at byte ${cut})`);
      }
    });

    it('throws for a body whose lines all end in bare LF', () => {
      const body = buildMultipart([{ headers: { A: '1' }, body: 'x' }], { lineEnding: '\n' });
      expectMultipartError(() => parseMultipartRelated(CT, body), /before its delimiter/);
    });

    it('throws when a header line is directly followed by the next boundary line', () => {
      const body = toBytes(
        `--${DEFAULT_BOUNDARY}\r\nA: 1\r\n--${DEFAULT_BOUNDARY}\r\nB: 1\r\n\r\nx\r\n--${DEFAULT_BOUNDARY}--`,
      );
      expectMultipartError(() => parseMultipartRelated(CT, body), /part 1 has no empty line after its headers/);
    });

    it('throws when a part has no empty line and its body is taken for a header line', () => {
      const body = buildMultipart([
        { headers: { 'Content-Type': 'image/jpeg' }, body: 'JFIF data\r\n\r\n', omitBlankLine: true },
      ]);
      expectMultipartError(() => parseMultipartRelated(CT, body), /header line without a name \("JFIF data"\)/);
    });

    it(`throws when no empty line comes within ${MAX_HEADER_BYTES} bytes of headers`, () => {
      const body = buildMultipart([
        { headers: { A: '1' }, body: 'z'.repeat(MAX_HEADER_BYTES + 10), omitBlankLine: true },
      ]);
      expectMultipartError(() => parseMultipartRelated(CT, body), /no empty line within 65536 bytes/);
    });

    it('throws when a delimiter is followed by anything but "--", padding or a line end', () => {
      const body = toBytes(`--${DEFAULT_BOUNDARY}\r\n\r\nabc\r\n--${DEFAULT_BOUNDARY}XYZ`);
      const offset = body.length - 3;
      expectMultipartError(
        () => parseMultipartRelated(CT, body),
        new RegExp(`byte 0x58 after boundary.*at byte ${offset}\\)`),
      );
      expectMultipartError(() => parseMultipartRelated(CT, toBytes(`--${DEFAULT_BOUNDARY}-x`)), /byte 0x78/);
      expectMultipartError(() => parseMultipartRelated(CT, toBytes(`--${DEFAULT_BOUNDARY} \rx`)), /byte 0x78/);
    });
  });
});
