/**
 * IndexedDB tier and decoding edge cases found by a review (2026-12-06); each test failed before
 * its fix (docs/reliability.md, "Found by an adversarial review").
 */
import { IDBObjectStore as FakeIDBObjectStore } from 'fake-indexeddb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NO_WASM_CODECS, pixelFormat } from '../helpers/pixel-format.js';
import { decodeFrame } from '../../src/decode/decode-frame.js';
import { TileDecoder } from '../../src/decode/tile-decoder.js';
import { sniffFrame } from '../../src/decode/transfer-syntaxes.js';
import { ScopeEngines } from '../../src/service-worker/scope-engines.js';
import { dumpRaw, frame, key, setup } from './spill-test-db.js';

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

const none = NO_WASM_CODECS;
const format = pixelFormat;

describe('IndexedDB tier: quota on the request, a wipe with no scope alive', () => {
  it('a QuotaExceededError reported on the put request (not at commit) still evicts the oldest and is logged as quota', async () => {
    const { make, logger } = setup();
    const store = make();
    store.putMany([[key(1), frame(1)]]);
    await store.flush();
    // The request's operation fails with QuotaExceededError: per the IndexedDB spec the error
    // event fires at the request and bubbles to the transaction BEFORE the transaction aborts.
    const put = FakeIDBObjectStore.prototype.put;
    vi.spyOn(FakeIDBObjectStore.prototype, 'put').mockImplementation(function (
      this: InstanceType<typeof FakeIDBObjectStore>,
      ...args: Parameters<typeof put>
    ) {
      // fake-indexeddb has no public way to fail one request's operation: its record store is the seam.
      const internals = this as unknown as { _rawObjectStore: { storeRecord: (...a: unknown[]) => unknown } };
      // oxlint-disable-next-line no-underscore-dangle -- fake-indexeddb's internal field
      const raw = internals._rawObjectStore;
      const original = raw.storeRecord;
      raw.storeRecord = () => {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      };
      try {
        return put.apply(this, args);
      } finally {
        raw.storeRecord = original;
      }
    });
    store.putMany([[key(2), frame(2)]]);
    await expect(store.flush()).resolves.toBeUndefined();
    const warns = logger.records.filter((r) => r.level === 'warn').map((r) => r.fields);
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatchObject({ op: 'write', error: 'QuotaExceededError' });
    // As when the quota error comes at commit: the oldest batch is evicted to make room.
    expect(store.stats()).toEqual({ storedBytes: 0, errors: 1 });
  });

  it('Service Worker clear({ spill: true }) wipes the tier even when no scope engine is alive (after a SW restart)', async () => {
    const { make, factory, dbName } = setup();
    const store = make();
    store.putMany([[key(1), frame(1)]]);
    await store.flush();
    store.close();
    expect((await dumpRaw(factory, dbName)).batches).toHaveLength(1);
    vi.stubGlobal('indexedDB', factory);
    // A freshly started Service Worker: the page asks it to wipe before any frame request.
    const engines = new ScopeEngines({ spill: { dbName } }, (() =>
      Promise.reject(new Error('no network'))) as typeof fetch);
    await engines.clear({ spill: true });
    const { frames, batches } = await dumpRaw(factory, dbName);
    expect(batches).toEqual([]);
    expect(frames).toEqual([]);
  });
});

describe('decoding: signed samples, sizes, sniffing', () => {
  it('8-bit signed samples (PixelRepresentation 1) are shifted from two’s complement like 16-bit ones', async () => {
    // -128, -1, 0, 127 stored as bytes 0x80 0xFF 0x00 0x7F: grey 0, 127, 128, 255.
    const image = await decodeFrame(
      new Uint8Array([0x80, 0xff, 0x00, 0x7f]),
      format({ columns: 4, samplesPerPixel: 1, photometricInterpretation: 'MONOCHROME2', pixelRepresentation: 1 }),
      none,
    );
    expect([0, 1, 2, 3].map((p) => image.rgba[p * 4])).toEqual([0, 127, 128, 255]);
  });

  it('signed 16-bit samples are sign-extended from BitsStored (high bits not set, as pydicom corrects)', async () => {
    // BitsStored 12: -1 is 0x0FFF and -2048 is 0x0800 within the 12 bits.
    const words = new Uint8Array(new Uint16Array([0x0fff, 0x0800]).buffer);
    const image = await decodeFrame(
      words,
      format({
        samplesPerPixel: 1,
        photometricInterpretation: 'MONOCHROME2',
        bitsAllocated: 16,
        bitsStored: 12,
        pixelRepresentation: 1,
      }),
      none,
    );
    expect([image.rgba[0], image.rgba[4]]).toEqual([127, 0]);
  });

  it('an uncompressed frame longer than Rows x Columns x Samples x bytes (beyond a pad byte) is a decode error', async () => {
    // Metadata 1 x 2 RGB (6 bytes); the frame holds 12 bytes (a 2 x 2 frame).
    const error = await decodeFrame(new Uint8Array(12), format({}), none).then(
      (image) => image,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'decode' });
  });

  it('an RLE segment that decodes to more bytes than Rows x Columns is a decode error', async () => {
    // Metadata 1 x 2 MONOCHROME2 8-bit: one segment of 2 bytes. The segment holds a literal run of 4.
    const bytes = new Uint8Array(64 + 5);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, 1, true);
    view.setUint32(4, 64, true);
    bytes.set([3, 10, 20, 30, 40], 64);
    const error = await decodeFrame(
      bytes,
      format({
        transferSyntaxUid: '1.2.840.10008.1.2.5',
        samplesPerPixel: 1,
        photometricInterpretation: 'MONOCHROME2',
      }),
      none,
    ).then(
      (image) => image,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'decode' });
  });

  it('a JPEG frame whose size differs from Rows x Columns is a decode error, as for every other syntax', async () => {
    const close = vi.fn();
    vi.stubGlobal(
      'createImageBitmap',
      vi.fn(async () => ({ width: 512, height: 512, close })),
    );
    const decoder = new TileDecoder(0, { jpeg2000: '', htj2k: '', 'jpeg-ls': '' }, { codecs: none });
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, 1, 0, 1, 0, 3, 0xff, 0xd9]);
    const result = await decoder
      .decode('k', jpeg, format({ transferSyntaxUid: '1.2.840.10008.1.2.4.50', rows: 256, columns: 256 }))
      .then(
        (bitmap) => bitmap,
        (e: unknown) => e,
      );
    expect(result).toMatchObject({ code: 'decode' });
  });

  it('sniffing: a baseline JPEG whose APP segment holds the bytes FF F7 is JPEG, not JPEG-LS', () => {
    // SOI, APP2 (length 6: FF F7 00 00 in its payload, e.g. an ICC profile), SOF0, EOI.
    const jpeg = new Uint8Array([
      0xff, 0xd8, 0xff, 0xe2, 0x00, 0x06, 0xff, 0xf7, 0x00, 0x00, 0xff, 0xc0, 0x00, 0x0b, 8, 0, 1, 0, 1, 1, 1, 0x11, 0,
      0xff, 0xd9,
    ]);
    expect(sniffFrame(jpeg, { rows: 1, columns: 1, samplesPerPixel: 1, bitsAllocated: 8 })).toBe('jpeg');
  });
});
