import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { originOf } from '../../src/core/origin.js';

describe('originOf()', () => {
  it('gives scheme, host and a non-default port', () => {
    expect(originOf('https://pacs.example.org/dicom-web/studies/1/series/2/instances/3')).toBe(
      'https://pacs.example.org',
    );
    expect(originOf('http://127.0.0.1:8042/dicom-web/studies/1')).toBe('http://127.0.0.1:8042');
    expect(originOf('HTTPS://Pacs.Example.org:443/x')).toBe('https://pacs.example.org');
  });

  it('gives the text itself when it is not a URL', () => {
    expect(originOf('not a url')).toBe('not a url');
  });

  it('parses each URL once while it is remembered, and stays right past the bound', () => {
    const Real = globalThis.URL;
    let parsed = 0;
    globalThis.URL = class extends Real {
      constructor(url: string | URL, base?: string | URL) {
        super(url, base);
        parsed++;
      }
    };
    try {
      const url = 'http://remembered.example:1234/dicom-web/instances/1';
      expect(originOf(url)).toBe('http://remembered.example:1234');
      expect(parsed).toBe(1);
      for (let i = 0; i < 100; i++) expect(originOf(url)).toBe('http://remembered.example:1234');
      expect(parsed).toBe(1);
    } finally {
      globalThis.URL = Real;
    }
    // More distinct URLs than it keeps: every answer is still the URL's own origin.
    fc.assert(
      fc.property(fc.array(fc.webUrl(), { minLength: 300, maxLength: 600 }), (urls) => {
        for (const url of urls) expect(originOf(url)).toBe(new URL(url).origin);
        for (const url of urls.toReversed()) expect(originOf(url)).toBe(new URL(url).origin);
      }),
      { numRuns: 5 },
    );
  });
});
