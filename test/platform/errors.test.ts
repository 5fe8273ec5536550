// Every error a caller sees is a FrameCacheError: a throwing headers function gets its own code
// ('headers', with the thrown error as cause) through the engine wired to the real platform.
import { describe, expect, it } from 'vitest';
import type { FetchLike } from '../../src/core/ports.js';
import { FrameCacheEngine } from '../../src/platform/frame-cache-engine.js';
import { FrameCacheError } from '../../src/shared/errors.js';
import { resolveHeaders } from '../../src/transport/http.js';

const instance = { url: 'https://pacs.example/dicom-web/studies/1/series/2/instances/3', frameCount: 4 };

describe("a throwing headers function: code 'headers'", () => {
  it('the engine logs and counts the failed load with code headers, sends nothing and resolves undefined', async () => {
    const calls: string[] = [];
    const fetch: FetchLike = async (url) => {
      calls.push(url);
      throw new Error('fetch must not be called');
    };
    const logged: Record<string, unknown>[] = [];
    const noop = (): void => {};
    const logger = {
      debug: noop,
      info: noop,
      warn: noop,
      error: (_m: string, fields?: Record<string, unknown>) => void logged.push(fields ?? {}),
    };
    const engine = new FrameCacheEngine({
      fetch,
      logger,
      maxRetries: 3,
      headers: () => {
        throw new Error('no token yet');
      },
    });
    expect(await engine.getFrame(instance, 2)).toBeUndefined();
    expect(calls).toEqual([]);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ code: 'headers' });
    expect(await engine.stats()).toMatchObject({ failedRequests: 1, retries: 0, memoryBytes: 0 });
    await engine.close();
  });

  it('resolveHeaders keeps what the function threw as cause; a non-record answer is headers too', async () => {
    const thrown = new Error('no token yet');
    const error = await resolveHeaders(() => {
      throw thrown;
    }, instance.url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FrameCacheError);
    expect(error).toMatchObject({ code: 'headers' });
    expect((error as Error).cause).toBe(thrown);
    await expect(resolveHeaders(() => ({ Authorization: 42 }) as never, instance.url)).rejects.toMatchObject({
      code: 'headers',
    });
  });

  it('resolveHeaders gives a static record back without a promise, and checks it as a function answer', () => {
    const record = { Authorization: 'Bearer t' };
    const resolved = resolveHeaders(record, instance.url);
    expect(resolved).not.toBeInstanceOf(Promise);
    expect(resolved).toEqual(record);
    let error: unknown;
    try {
      resolveHeaders({ Authorization: 42 } as never, instance.url);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FrameCacheError);
    expect(error).toMatchObject({ code: 'headers' });
  });
});
