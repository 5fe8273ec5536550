import { describe, expect, it } from 'vitest';
import { FrameCacheError } from '../../src/shared/errors.js';
import { MAX_BOUNDARY_LENGTH, boundaryOf, parseMediaType } from '../../src/transport/content-type.js';
import { ORTHANC_LIKE_BOUNDARY, orthancContentType } from '../helpers/multipart-builder.js';

function multipartError(run: () => unknown): FrameCacheError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(FrameCacheError);
    expect((error as FrameCacheError).code).toBe('multipart');
    return error as FrameCacheError;
  }
  throw new Error('expected a FrameCacheError');
}

describe('content-type', () => {
  describe('parseMediaType()', () => {
    it("reads Orthanc's header with ';' and '=' inside the quoted type", () => {
      expect(parseMediaType(orthancContentType())).toEqual({
        type: 'multipart/related',
        params: {
          type: 'image/jpeg; transfer-syntax=1.2.840.10008.1.2.4.50',
          boundary: ORTHANC_LIKE_BOUNDARY,
        },
      });
    });

    it('lower-cases the type and parameter names but keeps the case of values', () => {
      expect(parseMediaType('MULTIPART/Related; BOUNDARY=AbC; Type="Application/DICOM"')).toEqual({
        type: 'multipart/related',
        params: { boundary: 'AbC', type: 'Application/DICOM' },
      });
    });

    it('tolerates extra spaces and tabs around the type, names, "=" and values', () => {
      expect(parseMediaType('  multipart/related ;\tboundary = abc ;  type =  "x/y"  ; ')).toEqual({
        type: 'multipart/related',
        params: { boundary: 'abc', type: 'x/y' },
      });
    });

    it('resolves backslash escapes in quoted strings', () => {
      expect(parseMediaType('a/b; q="say \\"hi\\"; a\\\\b"; r=1').params).toEqual({ q: 'say "hi"; a\\b', r: '1' });
    });

    it('keeps the first of duplicate parameters and skips ones without a value', () => {
      expect(parseMediaType('a/b; flag; boundary=one; boundary=two; =x').params).toEqual({ boundary: 'one' });
    });

    it('runs an unterminated quoted string to the end of the value', () => {
      expect(parseMediaType('a/b; boundary="abc; def').params).toEqual({ boundary: 'abc; def' });
    });

    it('ignores text after a closing quote up to the next ";"', () => {
      expect(parseMediaType('a/b; boundary="abc"junk; t=1').params).toEqual({ boundary: 'abc', t: '1' });
    });

    it('returns an empty type and no parameters for an empty value', () => {
      expect(parseMediaType('')).toEqual({ type: '', params: {} });
      expect(parseMediaType('application/dicom')).toEqual({ type: 'application/dicom', params: {} });
    });

    it('never lets a parameter named __proto__ reach the prototype', () => {
      const { params } = parseMediaType('a/b; __proto__=x; c=d');
      expect(Object.getPrototypeOf(params)).toBe(Object.prototype);
      expect(params).toEqual({ c: 'd' });
    });
  });

  describe('boundaryOf()', () => {
    it('returns unquoted and quoted boundaries', () => {
      expect(boundaryOf('multipart/related; boundary=abc-123')).toBe('abc-123');
      expect(boundaryOf('multipart/related; boundary="abc:123 =x"')).toBe('abc:123 =x');
      expect(boundaryOf(orthancContentType())).toBe(ORTHANC_LIKE_BOUNDARY);
    });

    it('accepts upper-case type and parameter name', () => {
      expect(boundaryOf('MULTIPART/RELATED; BOUNDARY=XyZ')).toBe('XyZ');
    });

    it(`accepts boundaries up to ${MAX_BOUNDARY_LENGTH} characters and rejects longer ones`, () => {
      const longest = 'b'.repeat(MAX_BOUNDARY_LENGTH);
      expect(boundaryOf(`multipart/related; boundary=${longest}`)).toBe(longest);
      expect(multipartError(() => boundaryOf(`multipart/related; boundary=${longest}b`)).message).toMatch(
        /201 characters/,
      );
    });

    it('throws when the boundary parameter is absent', () => {
      expect(multipartError(() => boundaryOf('multipart/related; type="application/dicom"')).message).toMatch(
        /no boundary parameter/,
      );
    });

    it('throws when the boundary is empty', () => {
      expect(multipartError(() => boundaryOf('multipart/related; boundary=""')).message).toMatch(/empty/);
      multipartError(() => boundaryOf('multipart/related; boundary= ; type=x'));
    });

    it('throws for a type that is not multipart', () => {
      expect(multipartError(() => boundaryOf('application/dicom; boundary=abc')).message).toMatch(
        /Expected a multipart Content-Type/,
      );
    });

    it('throws for a boundary with control characters', () => {
      multipartError(() => boundaryOf('multipart/related; boundary="a\rb"'));
    });
  });
});
