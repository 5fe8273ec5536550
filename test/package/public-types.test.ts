// The public surface, checked by the type checker (`npm test` runs tsc over test/) and at run
// time: what each entry exports, that both caches implement FrameCacheApi, and that every type
// in a public signature is exported by name.
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as core from '../../src/core-entry.js';
import * as index from '../../src/index.js';
import type {
  CacheStats,
  FrameCacheApi,
  FrameCacheErrorCode,
  FrameCacheFacadeOptions,
  FrameCacheOptions,
  HeadersProvider,
  InstanceGroup,
  InstanceRef,
  Level,
  LogFields,
  Logger,
  OpenSlideOptions,
  PrefetchOptions,
  PreloadOptions,
  Region,
  TiledLevel,
  WorkerLike,
  WsiImageFlavor,
} from '../../src/index.js';
import type {
  FrameCacheEngineOptions,
  FrameSource,
  ResponseLike,
  HeadersLike,
  ByteStream,
  ByteStreamReader,
} from '../../src/core-entry.js';

describe('public surface', () => {
  it('exports exactly these values', () => {
    expect(Object.keys(index).sort()).toEqual([
      'FrameCache',
      'FrameCacheError',
      'isFrameCacheError',
      'openSlide',
      'parseMultipartRelated',
      'readPart10Frames',
      'registerFrameServiceWorker',
    ]);
    expect(Object.keys(core).sort()).toEqual([
      'DicomwebSource',
      'FrameCacheEngine',
      'FrameCacheError',
      'isFrameCacheError',
    ]);
    expect(core.FrameCacheError).toBe(index.FrameCacheError); // one class for both entries
  });

  it('FrameCache and FrameCacheEngine implement the one shared interface', () => {
    expectTypeOf<index.FrameCache>().toMatchTypeOf<FrameCacheApi<index.FrameCache>>();
    expectTypeOf<core.FrameCacheEngine>().toMatchTypeOf<FrameCacheApi<core.FrameCacheEngine>>();
    expectTypeOf<ReturnType<index.FrameCache['clone']>>().toEqualTypeOf<index.FrameCache>();
    expectTypeOf<ReturnType<core.FrameCacheEngine['stats']>>().toEqualTypeOf<Promise<CacheStats>>();
    expectTypeOf<Parameters<index.FrameCache['preload']>[1]>().toEqualTypeOf<
      PreloadOptions<index.FrameCache> | undefined
    >();
  });

  it('every type in a public signature is exported by name', () => {
    expectTypeOf<Parameters<index.FrameCache['prefetch']>>().toEqualTypeOf<
      [level: TiledLevel, region: Region, opts?: PrefetchOptions]
    >();
    expectTypeOf<Parameters<core.FrameCacheEngine['prefetch']>>().toEqualTypeOf<
      [level: TiledLevel, region: Region, opts?: PrefetchOptions]
    >();
    expectTypeOf<Parameters<index.FrameCache['cacheWholeInstance']>[0]>().toEqualTypeOf<
      InstanceRef | InstanceRef[] | InstanceGroup
    >();
    expectTypeOf<FrameCacheOptions['headers']>().toEqualTypeOf<HeadersProvider | undefined>();
    expectTypeOf<OpenSlideOptions['headers']>().toEqualTypeOf<HeadersProvider | undefined>();
    expectTypeOf<FrameCacheFacadeOptions['createWorker']>().toEqualTypeOf<(() => WorkerLike) | undefined>();
    expectTypeOf<Parameters<Logger['warn']>[1]>().toEqualTypeOf<LogFields | undefined>();
    expectTypeOf<Level['flavor']>().toEqualTypeOf<WsiImageFlavor | undefined>();
    expectTypeOf<FrameCacheEngineOptions['source']>().toEqualTypeOf<FrameSource | undefined>();
    expectTypeOf<ResponseLike['headers']>().toEqualTypeOf<HeadersLike>();
    expectTypeOf<ReturnType<ByteStream['getReader']>>().toEqualTypeOf<ByteStreamReader>();
    // A Level from openSlide is what prefetch, pin and cacheWholeInstance take.
    expectTypeOf<Level>().toMatchTypeOf<TiledLevel>();
    expectTypeOf<Level>().toMatchTypeOf<InstanceGroup>();
  });

  it('error codes include headers; internals are not exported', () => {
    expectTypeOf<'headers'>().toMatchTypeOf<FrameCacheErrorCode>();
    expectTypeOf(core).not.toHaveProperty('rangesOf');
    expectTypeOf(core).not.toHaveProperty('missWindow');
    expectTypeOf(core).not.toHaveProperty('clipToLoading');
    expect('rangesOf' in core).toBe(false);
  });
});
