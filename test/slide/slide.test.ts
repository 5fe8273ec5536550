import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FetchLike, Logger, RequestInitLike, ResponseLike } from '../../src/core/ports.js';
import { FrameCacheError } from '../../src/shared/errors.js';
import { openSlide, type Level } from '../../src/slide/slide.js';
import type { DicomJsonDataset } from '../../src/slide/dicom-json.js';
import {
  JPEG_BASELINE,
  buildWsiMetadata,
  seriesUrlOf,
  type SyntheticLevel,
  type SyntheticSlide,
} from '../helpers/wsi-metadata.js';

interface Call {
  url: string;
  init: RequestInitLike | undefined;
}

function jsonResponse(body: unknown, status = 200): ResponseLike {
  return new Response(typeof body === 'string' ? body : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/dicom+json' },
  }) as unknown as ResponseLike;
}

function serve(body: unknown, status = 200): { fetch: FetchLike; calls: Call[] } {
  const calls: Call[] = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push({ url, init });
    return jsonResponse(body, status);
  };
  return { fetch, calls };
}

const failingFetch: FetchLike = async () => {
  throw new TypeError('fetch failed');
};
const neverFetch: FetchLike = () => new Promise(() => {});
function throwingHeaders(): never {
  throw new Error('token expired');
}

function recordingLogger(): Logger & { lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  const log = (level: string) => (message: string) => void lines.push({ level, message });
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

async function open(slide: SyntheticSlide, extra: { logger?: Logger } = {}) {
  const server = serve(slide.datasets);
  const result = await openSlide(seriesUrlOf(slide), { fetch: server.fetch, ...extra });
  return { ...result, calls: server.calls };
}

function single(level: SyntheticLevel): SyntheticSlide {
  return buildWsiMetadata({ levels: [level] });
}

/**
 * What frameAt answers for the middle pixel of every tile, as `uid#frameNumber` (or '-'),
 * next to what the builder says holds that tile in the given plane of its level `specIndex`.
 */
function tileMaps(level: Level, slide: SyntheticSlide, focalPlane = 0, opticalPath = 0, specIndex = 0) {
  const across = Math.ceil(level.width / level.frameWidth);
  const down = Math.ceil(level.height / level.frameHeight);
  const truth = new Map<string, string>();
  for (const uid of slide.levelUids[specIndex] ?? []) {
    (slide.frames.get(uid) ?? []).forEach((f, i) => {
      if (f.focalPlane === focalPlane && f.opticalPath === opticalPath)
        truth.set(`${f.column},${f.row}`, `${uid}#${i + 1}`);
    });
  }
  const actual: string[] = [];
  const expected: string[] = [];
  for (let row = 0; row < down; row++) {
    for (let column = 0; column < across; column++) {
      const x = Math.min(column * level.frameWidth + (level.frameWidth >> 1), level.width - 1);
      const y = Math.min(row * level.frameHeight + (level.frameHeight >> 1), level.height - 1);
      const hit = level.frameAt(x, y);
      actual.push(hit === undefined ? '-' : `${hit.instance.sopInstanceUid}#${hit.frameNumber}`);
      expected.push(truth.get(`${column},${row}`) ?? '-');
    }
  }
  return { actual, expected };
}

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('openSlide()', () => {
  describe('levels', () => {
    it('sorts levels largest first with their sizes, tile sizes, frame counts and spacing', async () => {
      const slide = buildWsiMetadata({
        levels: [
          { width: 250, height: 180, tileWidth: 128, pixelSpacingMm: [0.004, 0.002] },
          { width: 1000, height: 700, tileWidth: 256, tileHeight: 128 },
          { width: 500, height: 350, tileWidth: 256, organization: 'positions' },
        ],
      });
      const { levels, ancillary, seriesUrl } = await open(slide);
      expect(seriesUrl).toBe(seriesUrlOf(slide));
      expect(ancillary).toEqual([]);
      expect(levels.map((l) => [l.index, l.width, l.height, l.frameWidth, l.frameHeight, l.frameCount])).toEqual([
        [0, 1000, 700, 256, 128, 4 * 6],
        [1, 500, 350, 256, 256, 2 * 2],
        [2, 250, 180, 128, 128, 2 * 2],
      ]);
      expect(levels[2]?.pixelSpacingMm).toEqual([0.004, 0.002]);
      expect(levels[0]?.pixelSpacingMm).toEqual([0.0005, 0.0005]);
      expect(levels[0]?.transferSyntaxUid).toBe(JPEG_BASELINE);
      expect(levels[0]?.flavor).toBe('VOLUME');
      const uid = slide.levelUids[1]?.[0];
      expect(levels[0]?.instances).toEqual([
        {
          url: `${seriesUrlOf(slide)}/instances/${uid}`,
          frameCount: 24,
          sopInstanceUid: uid,
          frameOffset: 0,
          // No Image Pixel Module in this metadata: the commonest WSI layout.
          pixelFormat: {
            transferSyntaxUid: JPEG_BASELINE,
            rows: 128,
            columns: 256,
            samplesPerPixel: 3,
            photometricInterpretation: 'RGB',
            bitsAllocated: 8,
            bitsStored: 8,
            pixelRepresentation: 0,
            planarConfiguration: 0,
          },
        },
      ]);
    });

    it('gives each instance the pixel format decoding needs (Image Pixel Module)', async () => {
      const slide = buildWsiMetadata({
        levels: [
          {
            width: 512,
            height: 512,
            tileWidth: 256,
            transferSyntaxUid: '1.2.840.10008.1.2.5',
            attributes: {
              '00280002': { vr: 'US', Value: [1] },
              '00280004': { vr: 'CS', Value: ['MONOCHROME1'] },
              '00280100': { vr: 'US', Value: [16] },
              '00280101': { vr: 'US', Value: [12] },
              '00280103': { vr: 'US', Value: [1] },
            },
          },
        ],
      });
      const { levels } = await open(slide);
      expect(levels[0]?.instances[0]?.pixelFormat).toEqual({
        transferSyntaxUid: '1.2.840.10008.1.2.5',
        rows: 256,
        columns: 256,
        samplesPerPixel: 1,
        photometricInterpretation: 'MONOCHROME1',
        bitsAllocated: 16,
        bitsStored: 12,
        pixelRepresentation: 1,
        planarConfiguration: 0,
      });
    });

    it('merges a concatenation of three instances into one level and maps frameAt into each', async () => {
      const slide = single({ width: 1100, height: 900, tileWidth: 256, instances: 3 });
      const { levels } = await open(slide);
      expect(levels).toHaveLength(1);
      const level = levels[0] as Level;
      expect(level.frameCount).toBe(5 * 4);
      expect(level.instances.map((i) => [i.sopInstanceUid, i.frameCount, i.frameOffset])).toEqual([
        [slide.levelUids[0]?.[0], 7, 0],
        [slide.levelUids[0]?.[1], 7, 7],
        [slide.levelUids[0]?.[2], 6, 14],
      ]);
      const { actual, expected } = tileMaps(level, slide);
      expect(new Set(actual.map((a) => a.split('#')[0])).size).toBe(3);
      expect(actual).toEqual(expected);
    });

    it('indexes per-frame plane positions when DimensionOrganizationType is absent, in any frame order', async () => {
      const slide = single({
        width: 1300,
        height: 1000,
        tileWidth: 256,
        organization: 'positions',
        shuffle: 7,
        instances: 2,
      });
      const { levels } = await open(slide);
      const { actual, expected } = tileMaps(levels[0] as Level, slide);
      expect(actual).not.toContain('-');
      expect(actual).toEqual(expected);
    });

    it('merges same-size instances without a concatenation into one level', async () => {
      const slide = single({
        width: 800,
        height: 600,
        tileWidth: 256,
        organization: 'positions',
        instances: 3,
        concatenation: false,
        shuffle: 3,
      });
      const { levels } = await open(slide);
      expect(levels).toHaveLength(1);
      expect(levels[0]?.instances.map((i) => i.frameOffset)).toEqual([0, 0, 0]);
      expect(levels[0]?.instances).toHaveLength(3);
      const { actual, expected } = tileMaps(levels[0] as Level, slide);
      expect(actual).toEqual(expected);
    });

    it('reads metadata shaped like OrthancWSIDicomizer output as served by Orthanc', async () => {
      // Measured on Orthanc 1.10 + DICOMweb 1.7: no ImageType, no DimensionOrganizationType, no
      // transfer syntax, a ConcatenationUID on every level, per-frame plane positions inline.
      const slide = buildWsiMetadata({
        levels: [
          { width: 3000, height: 2000, tileWidth: 256, organization: 'positions', instances: 3, concatenation: true },
          { width: 1500, height: 1000, tileWidth: 256, organization: 'positions', concatenation: true },
        ],
      });
      for (const ds of slide.datasets) {
        delete ds['00080008'];
        delete ds['00083002'];
      }
      const logger = recordingLogger();
      const { levels } = await open(slide, { logger });
      expect(levels.map((l) => [l.width, l.instances.length, l.frameCount, l.transferSyntaxUid])).toEqual([
        [3000, 3, 96, ''],
        [1500, 1, 24, ''],
      ]);
      expect(levels[0]?.instances.map((i) => i.frameOffset)).toEqual([0, 32, 64]);
      for (const index of [0, 1]) {
        const { actual, expected } = tileMaps(levels[index] as Level, slide, 0, 0, index);
        expect(actual).not.toContain('-');
        expect(actual).toEqual(expected);
      }
      expect(logger.lines.filter((l) => l.level === 'warn')).toEqual([]);
    });

    it('reads TILED_FULL arithmetic when positions are also present', async () => {
      const slide = single({ width: 700, height: 500, tileWidth: 256, organization: 'both', instances: 2 });
      const { levels } = await open(slide);
      const { actual, expected } = tileMaps(levels[0] as Level, slide);
      expect(actual).toEqual(expected);
    });

    it('treats a level with neither DimensionOrganizationType nor positions as TILED_FULL', async () => {
      const slide = single({ width: 600, height: 300, tileWidth: 128, organization: 'implicit' });
      const { levels } = await open(slide);
      expect(levels[0]?.frameAt(300, 200)).toEqual({ instance: levels[0]?.instances[0], frameNumber: 5 + 2 + 1 });
    });

    it('answers undefined for a tile a sparse level does not encode', async () => {
      const slide = single({
        width: 1024,
        height: 768,
        tileWidth: 256,
        organization: 'positions',
        missing: [
          [1, 1],
          [3, 0],
        ],
        shuffle: 11,
      });
      const { levels } = await open(slide);
      const level = levels[0] as Level;
      expect(level.frameCount).toBe(12 - 2);
      expect(level.frameAt(300, 300)).toBeUndefined();
      expect(level.frameAt(1023, 0)).toBeUndefined();
      expect(level.frameAt(0, 0)).toBeDefined();
      const { actual, expected } = tileMaps(level, slide);
      expect(actual.filter((a) => a === '-')).toHaveLength(2);
      expect(actual).toEqual(expected);
    });

    it('finds the tiles of a partial last column and row', async () => {
      for (const organization of ['TILED_FULL', 'positions'] as const) {
        const slide = single({ width: 1000, height: 600, tileWidth: 256, organization });
        const { levels } = await open(slide);
        const level = levels[0] as Level;
        // 4 tiles across (the last 232 wide), 3 down (the last 88 high): the corner is frame 12.
        expect(level.frameAt(999, 599)?.frameNumber).toBe(12);
        expect(level.frameAt(768, 0)?.frameNumber).toBe(4);
        expect(level.frameAt(0, 512)?.frameNumber).toBe(9);
      }
    });

    it('answers undefined outside the image', async () => {
      const slide = single({ width: 1000, height: 600, tileWidth: 256 });
      const level = (await open(slide)).levels[0] as Level;
      for (const [x, y] of [
        [-1, 0],
        [0, -1],
        [1000, 0],
        [0, 600],
        [Number.NaN, 0],
        [0, Infinity],
      ] as const) {
        expect(level.frameAt(x, y)).toBeUndefined();
      }
      expect(level.frameAt(0.5, 599.9)?.frameNumber).toBe(9);
    });

    it('addresses the first optical path and the focal plane nearest the glass', async () => {
      const full = single({ width: 512, height: 512, tileWidth: 256, focalPlanes: 3, opticalPaths: 2, instances: 2 });
      const fullLevel = (await open(full)).levels[0] as Level;
      expect(fullLevel.frameCount).toBe(4 * 3 * 2);
      const fullMaps = tileMaps(fullLevel, full, 0, 0);
      expect(fullMaps.actual).toEqual(fullMaps.expected);

      const logger = recordingLogger();
      const positioned = single({
        width: 512,
        height: 512,
        tileWidth: 256,
        focalPlanes: 3,
        opticalPaths: 2,
        organization: 'positions',
        shuffle: 5,
        instances: 3,
      });
      const level = (await open(positioned, { logger })).levels[0] as Level;
      // The builder lists planes from the coverslip down: the lowest Z is its plane 2.
      const maps = tileMaps(level, positioned, 2, 0);
      expect(maps.actual).not.toContain('-');
      expect(maps.actual).toEqual(maps.expected);
      expect(logger.lines.some((l) => l.message.includes('focal planes'))).toBe(true);
    });

    it('splits LABEL, OVERVIEW and THUMBNAIL images into ancillary', async () => {
      const slide = buildWsiMetadata({
        levels: [
          { width: 1024, height: 1024, tileWidth: 256 },
          { width: 240, height: 200, tileWidth: 240, tileHeight: 200, flavor: 'THUMBNAIL' },
        ],
        ancillary: [
          { flavor: 'OVERVIEW', width: 600, height: 300 },
          { flavor: 'LABEL', width: 300, height: 280, totalPixelMatrix: true },
        ],
      });
      const { levels, ancillary } = await open(slide);
      expect(levels.map((l) => l.width)).toEqual([1024]);
      expect(ancillary.map((l) => [l.index, l.flavor, l.width, l.height, l.frameCount])).toEqual([
        [0, 'LABEL', 300, 280, 1],
        [1, 'OVERVIEW', 600, 300, 1],
        [2, 'THUMBNAIL', 240, 200, 1],
      ]);
      expect(ancillary[1]?.frameAt(599, 299)).toEqual({ instance: ancillary[1]?.instances[0], frameNumber: 1 });
    });

    it('takes the transfer syntax from (0002,0010), else (0008,3002), else the empty string', async () => {
      const meta = single({ width: 256, height: 256, tileWidth: 256, metaTransferSyntaxUid: '1.2.840.10008.1.2.1' });
      expect((await open(meta)).levels[0]?.transferSyntaxUid).toBe('1.2.840.10008.1.2.1');
      const none = single({ width: 256, height: 256, tileWidth: 256 });
      delete none.datasets[0]?.['00083002'];
      expect((await open(none)).levels[0]?.transferSyntaxUid).toBe('');
    });
  });

  describe('instances and URLs', () => {
    it('skips an instance with an invalid SOPInstanceUID, never requesting it or any BulkDataURI', async () => {
      const slide = single({ width: 512, height: 512, tileWidth: 256, instances: 2 });
      const bad = slide.datasets[1] as DicomJsonDataset;
      bad['00080018'] = { vr: 'UI', Value: ['1.2/../../../evil.example'] };
      const logger = recordingLogger();
      const { levels, calls } = await open(slide, { logger });
      expect(calls.map((c) => c.url)).toEqual([`${seriesUrlOf(slide)}/metadata`]);
      const level = levels[0] as Level;
      expect(level.instances.map((i) => i.sopInstanceUid)).toEqual([slide.levelUids[0]?.[0]]);
      expect(level.instances.every((i) => i.url.startsWith(`${seriesUrlOf(slide)}/instances/`))).toBe(true);
      // The skipped instance held frames 3 and 4 of the concatenation: those tiles are absent.
      expect(level.frameAt(0, 300)).toBeUndefined();
      expect(level.frameAt(300, 0)?.frameNumber).toBe(2);
      expect(logger.lines.some((l) => l.level === 'warn' && l.message.includes('invalid SOPInstanceUID'))).toBe(true);
    });

    it('refuses UIDs longer than 64 characters and skips other SOP classes', async () => {
      const slide = single({
        width: 512,
        height: 256,
        tileWidth: 256,
        organization: 'positions',
        instances: 2,
        concatenation: false,
      });
      (slide.datasets[0] as DicomJsonDataset)['00080018'] = { vr: 'UI', Value: [`1.${'2'.repeat(63)}`] };
      (slide.datasets[1] as DicomJsonDataset)['00080016'] = { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.7'] };
      const { levels } = await open(slide);
      expect(levels).toEqual([]);
    });

    it('builds URLs from a series URL given with a trailing slash', async () => {
      const slide = single({ width: 256, height: 256, tileWidth: 256 });
      const server = serve(slide.datasets);
      const result = await openSlide(`${seriesUrlOf(slide)}/`, { fetch: server.fetch });
      expect(server.calls[0]?.url).toBe(`${seriesUrlOf(slide)}/metadata`);
      expect(result.levels[0]?.instances[0]?.url).toBe(`${seriesUrlOf(slide)}/instances/${slide.levelUids[0]?.[0]}`);
    });
  });

  describe('request', () => {
    const slide = single({ width: 256, height: 256, tileWidth: 256 });

    it('asks for DICOM JSON with the caller headers, keeping its own Accept', async () => {
      const server = serve(slide.datasets);
      await openSlide(seriesUrlOf(slide), {
        fetch: server.fetch,
        headers: { Authorization: 'Bearer t', accept: 'text/html' },
      });
      expect(server.calls[0]?.init?.headers).toEqual({ Authorization: 'Bearer t', Accept: 'application/dicom+json' });
      expect(server.calls[0]?.init?.signal).toBeDefined();
    });

    it('calls a headers function with the metadata URL', async () => {
      const server = serve(slide.datasets);
      const headers = vi.fn(async (url: string) => ({ Authorization: `Bearer for ${url.length}` }));
      await openSlide(seriesUrlOf(slide), { fetch: server.fetch, headers });
      const url = `${seriesUrlOf(slide)}/metadata`;
      expect(headers).toHaveBeenCalledExactlyOnceWith(url);
      expect(server.calls[0]?.init?.headers?.['Authorization']).toBe(`Bearer for ${url.length}`);
    });

    it('reads globalThis.fetch when called, not when imported', async () => {
      const server = serve(slide.datasets);
      vi.stubGlobal('fetch', server.fetch);
      const result = await openSlide(seriesUrlOf(slide));
      expect(server.calls).toHaveLength(1);
      expect(result.levels).toHaveLength(1);
    });
  });

  describe('errors', () => {
    const slide = single({ width: 256, height: 256, tileWidth: 256 });

    it.each([
      ['a relative URL', 'studies/1/series/2'],
      ['another scheme', 'ftp://pacs.example/studies/1/series/2'],
      ['a query', 'https://pacs.example/studies/1/series/2?token=x'],
      ['a non-string', 42],
    ])('rejects %s as seriesUrl with invalid-option naming it', async (_, value) => {
      const server = serve(slide.datasets);
      const error = await openSlide(value as string, { fetch: server.fetch }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FrameCacheError);
      expect((error as FrameCacheError).code).toBe('invalid-option');
      expect((error as FrameCacheError).message).toContain(String(value));
      expect(server.calls).toEqual([]);
    });

    it.each([
      ['requestTimeoutMs', { requestTimeoutMs: 0 }],
      ['fetch', { fetch: 'no' }],
      ['headers', { headers: 5 }],
      ['frobnicate', { frobnicate: true }],
    ])('rejects a bad %s option with invalid-option', async (name, opts) => {
      await expect(openSlide(seriesUrlOf(slide), opts as never)).rejects.toMatchObject({
        code: 'invalid-option',
        message: expect.stringContaining(name),
      });
    });

    it('rejects a non-2xx answer with http and its status', async () => {
      const server = serve({ message: 'no such series' }, 404);
      await expect(openSlide(seriesUrlOf(slide), { fetch: server.fetch })).rejects.toMatchObject({
        name: 'FrameCacheError',
        code: 'http',
        status: 404,
      });
    });

    it('rejects a network failure with http', async () => {
      const error = await openSlide(seriesUrlOf(slide), { fetch: failingFetch }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'http', message: expect.stringContaining('fetch failed') });
      expect((error as FrameCacheError).status).toBeUndefined();
    });

    it.each([
      ['not JSON', '{"000'],
      ['an object', { '00080018': { vr: 'UI', Value: ['1.2'] } }],
      ['an array of non-datasets', [1, 2]],
    ])('rejects metadata that is %s with http "malformed metadata"', async (_, body) => {
      const server = serve(body);
      await expect(openSlide(seriesUrlOf(slide), { fetch: server.fetch })).rejects.toMatchObject({
        code: 'http',
        message: expect.stringContaining('malformed metadata'),
      });
    });

    it("rejects with 'headers' (the thrown error as cause) when the headers function throws", async () => {
      const server = serve(slide.datasets);
      const error = await openSlide(seriesUrlOf(slide), { fetch: server.fetch, headers: throwingHeaders }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(FrameCacheError);
      expect(error).toMatchObject({ code: 'headers' });
      expect((error as Error).cause).toBeInstanceOf(Error);
      expect(server.calls).toEqual([]);
    });

    it('times out a fetch that never answers, aborting its signal', async () => {
      vi.useFakeTimers();
      let seen: AbortSignal | undefined;
      const fetch: FetchLike = (_url, init) => {
        seen = init?.signal;
        return new Promise(() => {});
      };
      const settled = openSlide(seriesUrlOf(slide), { fetch, requestTimeoutMs: 1000, maxRetries: 0 }).catch(
        (e: unknown) => e,
      );
      await vi.advanceTimersByTimeAsync(999);
      expect(seen?.aborted).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      const error = await settled;
      expect(error).toBeInstanceOf(FrameCacheError);
      expect((error as FrameCacheError).code).toBe('timeout');
      expect(seen?.aborted).toBe(true);
    });

    it('keeps a slow body alive while bytes arrive, and times it out when they stop', async () => {
      vi.useFakeTimers();
      // Padded with JSON whitespace so each piece is above the low-speed limit (1 KiB a second:
      // MIN_BODY_BYTES_PER_SECOND); a trickle below it times out (test/transport/low-speed-limit.test.ts).
      const text = new TextEncoder().encode(JSON.stringify(slide.datasets) + ' '.repeat(3 * 1100));
      const third = Math.ceil(text.length / 3);
      const body = (stallAfter: number): ResponseLike => {
        let sent = 0;
        const pieces = [text.subarray(0, third), text.subarray(third, 2 * third), text.subarray(2 * third)];
        return {
          ok: true,
          status: 200,
          statusText: 'OK',
          headers: { get: () => null },
          arrayBuffer: async () => text.buffer,
          body: {
            getReader: () => ({
              read: () =>
                sent >= stallAfter
                  ? new Promise(() => {})
                  : new Promise((resolve) =>
                      setTimeout(
                        () => resolve(sent < pieces.length ? { done: false, value: pieces[sent++] } : { done: true }),
                        800,
                      ),
                    ),
              cancel: async () => {},
              releaseLock: () => {},
            }),
          },
        };
      };
      const ok = openSlide(seriesUrlOf(slide), { fetch: async () => body(99), requestTimeoutMs: 1000 });
      await vi.advanceTimersByTimeAsync(4000);
      expect((await ok).levels).toHaveLength(1);

      const stalled = openSlide(seriesUrlOf(slide), {
        fetch: async () => body(2),
        requestTimeoutMs: 1000,
        maxRetries: 0,
      }).catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(2600);
      expect(await stalled).toMatchObject({ code: 'timeout' });
    });

    it('rejects with the signal reason when the caller aborts', async () => {
      const controller = new AbortController();
      const reason = new Error('user left');
      const fetch = neverFetch;
      const pending = openSlide(seriesUrlOf(slide), { fetch, signal: controller.signal });
      controller.abort(reason);
      await expect(pending).rejects.toBe(reason);
      const already = AbortSignal.abort(reason);
      await expect(openSlide(seriesUrlOf(slide), { fetch, signal: already })).rejects.toBe(reason);
    });
  });
});

describe('openSlide() retries', () => {
  it('retries a 503 on the metadata request, then reads the slide', async () => {
    const slide = buildWsiMetadata({ levels: [{ width: 512, height: 512, tileWidth: 256, tileHeight: 256 }] });
    const text = JSON.stringify(slide.datasets);
    let calls = 0;
    const fetch: FetchLike = async () => {
      calls++;
      return calls === 1
        ? (new Response('busy', { status: 503, headers: { 'retry-after': '0' } }) as unknown as ResponseLike)
        : (new Response(text, { headers: { 'content-type': 'application/dicom+json' } }) as unknown as ResponseLike);
    };
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, warn: (m: string) => void warnings.push(m), error() {} };
    const result = await openSlide(seriesUrlOf(slide), { fetch, logger });
    expect(calls).toBe(2);
    expect(result.levels).toHaveLength(1);
    expect(warnings).toEqual(['openSlide: metadata request retried']);
  });
  it('gives up after maxRetries with the last HTTP status', async () => {
    const slide = buildWsiMetadata({ levels: [{ width: 256, height: 256, tileWidth: 256, tileHeight: 256 }] });
    let calls = 0;
    const fetch: FetchLike = async () => {
      calls++;
      return new Response('no', { status: 502, headers: { 'retry-after': '0' } }) as unknown as ResponseLike;
    };
    await expect(openSlide(seriesUrlOf(slide), { fetch, maxRetries: 2 })).rejects.toMatchObject({
      code: 'http',
      status: 502,
    });
    expect(calls).toBe(3);
  });
});
