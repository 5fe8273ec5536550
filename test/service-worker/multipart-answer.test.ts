import { describe, expect, it } from 'vitest';
import { buildMultipartAnswer } from '../../src/service-worker/multipart-answer.js';
import { PartInfoStore, partInfoOf, withoutBoundary } from '../../src/service-worker/part-info.js';
import { parseMultipartRelated } from '../../src/transport/multipart.js';

const ANSWER_TYPE = 'multipart/related; type="image/jpeg; transfer-syntax=1.2.840.10008.1.2.4.50"; boundary=abc-123';
const PREFIX = 'http://127.0.0.1:8042/dicom-web/studies/1/series/2/instances/3';
const partHeaders = (n: number) => ({
  'content-location': `${PREFIX}/frames/${n}`,
  'content-type': 'image/jpeg; transfer-syntax=1.2.840.10008.1.2.4.50',
  'content-length': '3',
});

describe('withoutBoundary()', () => {
  it('drops the boundary parameter and keeps the rest as written', () => {
    expect(withoutBoundary(ANSWER_TYPE)).toBe(
      'multipart/related; type="image/jpeg; transfer-syntax=1.2.840.10008.1.2.4.50"',
    );
    expect(withoutBoundary('multipart/related; boundary="q;x"; type="a/b"')).toBe('multipart/related; type="a/b"');
  });
});

describe('partInfoOf()', () => {
  it('keeps the Content-Location prefix when it names the frame', () => {
    expect(partInfoOf(5, partHeaders(5), ANSWER_TYPE)?.locationPrefix).toBe(PREFIX);
  });

  it('refuses a part whose Content-Location names another frame, or a non-multipart answer', () => {
    expect(partInfoOf(6, partHeaders(5), ANSWER_TYPE)).toBeUndefined();
    expect(partInfoOf(5, partHeaders(5), 'image/jpeg')).toBeUndefined();
  });
});

describe('PartInfoStore', () => {
  it('remembers the first layout of an instance and forgets an instance whose parts disagree', () => {
    const store = new PartInfoStore();
    store.record('i1', 1, partHeaders(1), ANSWER_TYPE);
    store.record('i1', 2, partHeaders(2), ANSWER_TYPE);
    expect(store.get('i1')?.headers).toEqual([['content-type', 'image/jpeg; transfer-syntax=1.2.840.10008.1.2.4.50']]);
    store.record('i1', 3, { ...partHeaders(3), 'content-type': 'image/jp2' }, ANSWER_TYPE);
    expect(store.get('i1')).toBeUndefined();
    store.record('i1', 4, partHeaders(4), ANSWER_TYPE);
    expect(store.get('i1')).toBeUndefined();
  });

  it('keeps at most maxInstances layouts, dropping the oldest', () => {
    const store = new PartInfoStore(2);
    for (const url of ['a', 'b', 'c']) store.record(url, 1, partHeaders(1), ANSWER_TYPE);
    expect(store.size).toBe(2);
    expect(store.get('a')).toBeUndefined();
    expect(store.get('c')).toBeDefined();
  });
});

describe('buildMultipartAnswer()', () => {
  it("rebuilds the server's parts for other frames, in the requested order, in the server's header order", () => {
    const info = partInfoOf(1, partHeaders(1), ANSWER_TYPE)!;
    const frames: [number, Uint8Array][] = [
      [9, new Uint8Array([1, 2, 3, 4])],
      [2, new Uint8Array([0x0d, 0x0a, 0x2d, 0x2d])], // CRLF-- inside a frame must survive
    ];
    const answer = buildMultipartAnswer(info, frames, 'the-boundary');
    expect(answer.contentType).toBe(`${withoutBoundary(ANSWER_TYPE)}; boundary=the-boundary`);
    const parts = parseMultipartRelated(answer.contentType, answer.body);
    expect(parts.map((p) => Object.entries(p.headers))).toEqual([
      [
        ['content-location', `${PREFIX}/frames/9`],
        ['content-type', 'image/jpeg; transfer-syntax=1.2.840.10008.1.2.4.50'],
        ['content-length', '4'],
      ],
      [
        ['content-location', `${PREFIX}/frames/2`],
        ['content-type', 'image/jpeg; transfer-syntax=1.2.840.10008.1.2.4.50'],
        ['content-length', '4'],
      ],
    ]);
    expect(parts.map((p) => [...p.body])).toEqual([
      [1, 2, 3, 4],
      [0x0d, 0x0a, 0x2d, 0x2d],
    ]);
  });

  it('writes no Content-Location when the server sent none', () => {
    const { 'content-location': _, ...headers } = partHeaders(1);
    const info = partInfoOf(1, headers, ANSWER_TYPE)!;
    const answer = buildMultipartAnswer(info, [[3, new Uint8Array([7])]]);
    const [part] = parseMultipartRelated(answer.contentType, answer.body);
    expect(part!.headers['content-location']).toBeUndefined();
    expect(part!.headers['content-length']).toBe('1');
  });
});
