import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameCacheError } from '../../src/shared/errors.js';
import { parseMultipartRelated } from '../../src/transport/multipart.js';
import { MultipartStreamParser } from '../../src/transport/multipart-stream.js';
import {
  DEFAULT_BOUNDARY,
  buildMultipart,
  concatBytes,
  createEventRecorder,
  multipartContentType,
  toBytes,
} from '../helpers/multipart-builder.js';
import type { BuilderPart, EventRecorder } from '../helpers/multipart-builder.js';

/** Parses `pieces` pushed one by one; returns the recorder (throws what the parser throws). */
function parsePieces(boundary: string, pieces: Uint8Array[]): EventRecorder & { parser: MultipartStreamParser } {
  const recorder = createEventRecorder();
  const parser = new MultipartStreamParser(boundary, recorder.events);
  for (const piece of pieces) parser.push(piece);
  parser.end();
  return { ...recorder, parser };
}

/** Every view handed out must lie inside one of the pushed chunks. */
function expectViewsOf(views: Uint8Array[], chunks: Uint8Array[]): void {
  for (const view of views) {
    const owner = chunks.find(
      (chunk) =>
        chunk.buffer === view.buffer &&
        view.byteOffset >= chunk.byteOffset &&
        view.byteOffset + view.byteLength <= chunk.byteOffset + chunk.byteLength,
    );
    expect(owner).toBeDefined();
  }
}

function splitAt(body: Uint8Array, cuts: number[]): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const cut of cuts.toSorted((a, b) => a - b)) {
    pieces.push(body.slice(from, cut));
    from = cut;
  }
  pieces.push(body.slice(from));
  return pieces;
}

// A small body with preamble, CR/LF and boundary fragments inside bodies, and an epilogue.
const SMALL_BOUNDARY = 'sb';
const SMALL_PARTS: BuilderPart[] = [
  { headers: { 'Content-Type': 'image/jpeg', 'Content-Location': '/frames/1' }, body: '\r\n--s\r\r\n-' },
  { headers: { 'X-A': 'b' }, body: '' },
  { body: 'x--sb\r\n--s' },
];
const SMALL_BODY = buildMultipart(SMALL_PARTS, { boundary: SMALL_BOUNDARY, preamble: 'pre\r\n-', epilogue: 'epi' });
const SMALL_REFERENCE = parsePieces(SMALL_BOUNDARY, [SMALL_BODY]);

describe('MultipartStreamParser', () => {
  describe('push()', () => {
    it('gives the reference events (start, data, end, part per part) for the small body in one chunk', () => {
      expect(SMALL_REFERENCE.log.map((event) => `${event.type}${event.index}`)).toEqual([
        'start0',
        'data0',
        'end0',
        'part0',
        'start1',
        'end1',
        'part1',
        'start2',
        'data2',
        'end2',
        'part2',
      ]);
      const oneShot = parseMultipartRelated(multipartContentType(SMALL_BOUNDARY), SMALL_BODY);
      expect(oneShot.map((part) => new TextDecoder().decode(part.body))).toEqual(SMALL_PARTS.map((part) => part.body));
      expect(SMALL_REFERENCE.parser.partCount).toBe(3);
      expect(SMALL_REFERENCE.parser.closed).toBe(true);
    });

    it('gives identical parts and events for the body split in two at every byte offset', () => {
      for (let cut = 0; cut <= SMALL_BODY.length; cut++) {
        const pieces = splitAt(SMALL_BODY, [cut]);
        const result = parsePieces(SMALL_BOUNDARY, pieces);
        expect(result.log, `cut at ${cut}`).toEqual(SMALL_REFERENCE.log);
        expectViewsOf(result.dataViews, pieces);
      }
    });

    it('gives identical parts and events when pushed one byte at a time', () => {
      const pieces = Array.from(SMALL_BODY, (byte) => Uint8Array.of(byte));
      const result = parsePieces(SMALL_BOUNDARY, pieces);
      expect(result.log).toEqual(SMALL_REFERENCE.log);
      expectViewsOf(result.dataViews, pieces);
      expect(result.dataViews.every((view) => view.length > 0)).toBe(true);
    });

    it('hands onPart a view of the chunk when the part lies inside one chunk', () => {
      const body = buildMultipart([{ body: 'aaaa' }, { body: 'bbbb' }]);
      const cut = body.length - 10; // inside the close delimiter: both parts lie in the first chunk
      const pieces = splitAt(body, [cut]);
      const result = parsePieces(DEFAULT_BOUNDARY, pieces);
      expect(result.partBodies.map((part) => part.buffer)).toEqual([pieces[0]!.buffer, pieces[0]!.buffer]);
    });

    it('joins adjacent views of one buffer instead of copying', () => {
      const body = buildMultipart([{ body: 'a'.repeat(300) }]);
      const pieces = Array.from({ length: Math.ceil(body.length / 7) }, (_, i) => body.subarray(i * 7, i * 7 + 7));
      const result = parsePieces(DEFAULT_BOUNDARY, pieces);
      expect(result.partBodies[0]!.buffer).toBe(body.buffer);
      expect(result.partBodies[0]!.length).toBe(300);
    });

    it('equals the one-shot parse and the built parts for random bodies and chunkings', () => {
      const fragment = fc.oneof(
        fc.uint8Array({ maxLength: 12 }),
        fc.constantFrom(
          '\r',
          '\n',
          '\r\n',
          '--',
          '-',
          ' ',
          '\r\n\r\n',
          'b',
          'bd',
          '--bd',
          '\r\n--b',
          '\n--bd',
          'x--bd\r\n',
        ),
      );
      const bytes = fc.array(fragment, { maxLength: 8 }).map((pieces) => concatBytes(pieces));
      const part = fc.record({
        headers: fc.uniqueArray(
          fc.tuple(
            fc.constantFrom('Content-Type', 'content-location', 'X-Y'),
            fc.stringMatching(/^[a-z0-9/=; ]{0,12}$/),
          ),
          { selector: ([name]) => name.toLowerCase(), maxLength: 3 },
        ),
        body: bytes,
      });
      const input = fc.record({
        boundary: fc.constantFrom('bd', 'b d', `${'q'.repeat(69)}z`),
        parts: fc.array(part, { maxLength: 5 }),
        preamble: fc.option(bytes, { nil: undefined }),
        epilogue: fc.option(bytes, { nil: undefined }),
        padding: fc.constantFrom('', ' ', '\t '),
        cuts: fc.array(fc.nat(), { maxLength: 12 }),
      });
      fc.assert(
        fc.property(input, ({ boundary, parts, preamble, epilogue, padding, cuts }) => {
          const delimiter = `\r\n--${boundary}`;
          // A body may not hold a delimiter; one that opens with "--boundary" (after the
          // empty line's CRLF) would be a headers-only part followed by a delimiter.
          const contains = (data: Uint8Array) =>
            new TextDecoder('latin1').decode(concatBytes(['\r\n', data])).includes(delimiter);
          fc.pre(parts.every((p) => !contains(p.body)));
          fc.pre(preamble === undefined || !contains(preamble));
          const body = buildMultipart(parts, { boundary, preamble, epilogue, padding });
          const oneShot = parseMultipartRelated(multipartContentType(boundary, { quoteBoundary: true }), body);
          expect(oneShot.map((p) => [...p.body])).toEqual(parts.map((p) => [...p.body]));
          expect(oneShot.map((p) => p.headers)).toEqual(
            parts.map((p) => Object.fromEntries(p.headers.map(([name, value]) => [name.toLowerCase(), value.trim()]))),
          );
          const pieces = splitAt(
            body,
            cuts.map((cut) => cut % (body.length + 1)),
          );
          const streamed = parsePieces(boundary, pieces);
          const whole = parsePieces(boundary, [body]);
          expect(streamed.log).toEqual(whole.log);
          expect(streamed.partBodies.map((b) => [...b])).toEqual(oneShot.map((p) => [...p.body]));
          expectViewsOf(streamed.dataViews, pieces);
        }),
        { numRuns: 400 },
      );
    });

    it('gives the built parts whatever their Content-Length says, right, wrong or not plain', () => {
      // Only the delimiter ends a part: a length that is right, wrong or not a plain number
      // ('012', '1e1', ...) changes nothing.
      const body = fc.array(fc.constantFrom('\r', '\n', '-', 'x', '\r\n--b', 'bd', '\r\n--bd\r'), { maxLength: 12 });
      const input = fc.record({
        parts: fc.array(
          fc.record({
            body: body.map((pieces) => pieces.join('')),
            length: fc.oneof(
              fc.constant('right'),
              fc.integer({ min: -6, max: 6 }),
              fc.constantFrom('0', '012', '1e1', ' ', '0x4', '-1', '999999999999'),
            ),
          }),
          { minLength: 1, maxLength: 5 },
        ),
        headerLineEnding: fc.constantFrom('\r\n', '\n'),
        cuts: fc.array(fc.nat(), { maxLength: 6 }),
      });
      fc.assert(
        fc.property(input, ({ parts, headerLineEnding, cuts }) => {
          fc.pre(parts.every((p) => !`\r\n${p.body}`.includes('\r\n--bd')));
          const built: BuilderPart[] = parts.map((p) => {
            const length =
              p.length === 'right'
                ? String(p.body.length)
                : typeof p.length === 'number'
                  ? String(Math.max(0, p.body.length + p.length))
                  : p.length;
            return { headers: [['Content-Length', length]], body: p.body };
          });
          const whole = buildMultipart(built, { boundary: 'bd', headerLineEnding });
          const streamed = parsePieces(
            'bd',
            splitAt(
              whole,
              cuts.map((cut) => cut % (whole.length + 1)),
            ),
          );
          expect(streamed.partBodies.map((b) => new TextDecoder().decode(b))).toEqual(parts.map((p) => p.body));
        }),
        { numRuns: 400 },
      );
    });

    it('splits a body that holds the delimiter at it, whatever its Content-Length and chunking', () => {
      // RFC 2046 forbids the delimiter inside a body; where a server sends one anyway the
      // delimiter decides, never the length, so no chunking of the answer can change the parts.
      const inner = 'a\r\n--bd\r\nX-Y: z\r\n\r\nb';
      const framed = buildMultipart([{ headers: [['Content-Length', String(inner.length)]], body: inner }], {
        boundary: 'bd',
      });
      for (let cut = 0; cut <= framed.length; cut++) {
        const parts = parsePieces('bd', [framed.subarray(0, cut), framed.subarray(cut)]).partBodies;
        expect(
          parts.map((b) => new TextDecoder().decode(b)),
          `cut at ${cut}`,
        ).toEqual(['a', 'b']);
      }
    });

    it('finds the end of headers split anywhere, with CRLF or bare LF lines', () => {
      for (const headerLineEnding of ['\r\n', '\n'] as const) {
        const whole = buildMultipart(
          [
            {
              headers: [
                ['Content-Type', 'image/jpeg'],
                ['Content-Length', '3'],
              ],
              body: 'one',
            },
            { headers: [['X-Y', 'z']], body: '\r\n\r\ntwo' },
          ],
          { boundary: 'bd', headerLineEnding },
        );
        const reference = parsePieces('bd', [whole]);
        expect(reference.partBodies.map((b) => new TextDecoder().decode(b))).toEqual(['one', '\r\n\r\ntwo']);
        for (let cut = 0; cut <= whole.length; cut++) {
          const split = parsePieces('bd', [whole.subarray(0, cut), whole.subarray(cut)]);
          expect(split.log, `cut at ${cut}`).toEqual(reference.log);
        }
      }
    });

    it('ignores everything after the close delimiter', () => {
      const body = concatBytes([
        buildMultipart([{ body: 'a' }]),
        `--${DEFAULT_BOUNDARY}\r\nnot: a part\r\n\r\n`,
        'garbage',
      ]);
      const result = parsePieces(DEFAULT_BOUNDARY, splitAt(body, [body.length - 30]));
      expect(result.log.filter((event) => event.type === 'part')).toHaveLength(1);
      expect(result.parser.closed).toBe(true);
    });

    it('does not end a part until the line after its delimiter is complete', () => {
      const body = buildMultipart([{ body: 'one' }, { body: 'two' }]);
      const recorder = createEventRecorder();
      const parser = new MultipartStreamParser(DEFAULT_BOUNDARY, recorder.events);
      // "one" CRLF "--boundary" | CRLF (end of the delimiter line) | CRLF (empty header block) "two"
      const lineEnd = new TextDecoder().decode(body).indexOf('two') - 4;
      parser.push(body.subarray(0, lineEnd));
      expect(recorder.log.map((event) => event.type)).toEqual(['start', 'data']);
      expect(parser.partCount).toBe(0);
      parser.push(body.subarray(lineEnd, lineEnd + 2));
      expect(recorder.log.map((event) => event.type)).toEqual(['start', 'data', 'end', 'part']);
      expect(parser.partCount).toBe(1);
      parser.push(body.subarray(lineEnd + 2));
      expect(recorder.log.map((event) => event.type).slice(4)).toEqual(['start', 'data', 'end', 'part']);
      expect(parser.closed).toBe(true);
    });

    it('throws FrameCacheError multipart for a bad byte after a boundary, at its stream offset', () => {
      const body = toBytes(`pre\r\n--${DEFAULT_BOUNDARY}\r\n\r\nabc\r\n--${DEFAULT_BOUNDARY}?`);
      const parser = new MultipartStreamParser(DEFAULT_BOUNDARY, {});
      parser.push(body.subarray(0, 20));
      let caught: unknown;
      try {
        parser.push(body.subarray(20));
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(FrameCacheError);
      expect((caught as FrameCacheError).code).toBe('multipart');
      expect((caught as FrameCacheError).message).toContain(`at byte ${body.length - 1})`);
      expect(() => parser.push(toBytes('x'))).toThrow(caught as Error);
      expect(() => parser.end()).toThrow(caught as Error);
    });

    it('stays failed after an event handler threw, rethrowing that error', () => {
      const failure = new Error('handler failed');
      const parser = new MultipartStreamParser(DEFAULT_BOUNDARY, {
        onPartStart() {
          throw failure;
        },
      });
      expect(() => parser.push(buildMultipart([{ body: 'x' }]))).toThrow(failure);
      expect(() => parser.push(toBytes('more'))).toThrow(failure);
    });

    it('throws when pushed after end()', () => {
      const parser = new MultipartStreamParser(DEFAULT_BOUNDARY, {});
      parser.push(buildMultipart([{ body: 'x' }]));
      parser.end();
      expect(() => parser.push(toBytes('x'))).toThrow(/push\(\) called after end\(\)/);
    });
  });

  describe('end()', () => {
    it('throws FrameCacheError multipart for a truncated body and delivers only complete parts', () => {
      const body = buildMultipart([{ body: 'one' }, { body: 'two' }]);
      for (let cut = 0; cut < body.length - `--${DEFAULT_BOUNDARY}--`.length - 1; cut++) {
        const recorder = createEventRecorder();
        const parser = new MultipartStreamParser(DEFAULT_BOUNDARY, recorder.events);
        parser.push(body.subarray(0, cut));
        expect(() => parser.end(), `cut at ${cut}`).toThrow(FrameCacheError);
        const delivered = recorder.log.filter((event) => event.type === 'part').map((event) => event.body);
        expect(delivered.length).toBeLessThanOrEqual(1);
        if (delivered.length === 1) expect(delivered[0]).toEqual([...toBytes('one')]);
      }
    });

    it('accepts a body that ends right after the close delimiter', () => {
      const body = buildMultipart([{ body: 'x' }], { closeLineEnding: false });
      expect(parsePieces(DEFAULT_BOUNDARY, [body]).parser.closed).toBe(true);
    });
  });

  describe('constructor()', () => {
    it('rejects an empty boundary and one with CR or LF', () => {
      for (const boundary of ['', 'a\r\nb', 'a\nb']) {
        expect(() => new MultipartStreamParser(boundary, {})).toThrow(FrameCacheError);
      }
    });
  });
});
