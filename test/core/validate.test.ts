// One validation module (src/core/validate.ts): the same mistake gets the same code and message
// from FrameCacheEngine, the FrameCache facade and openSlide.
import { describe, expect, it } from 'vitest';
import { FrameCache } from '../../src/page/frame-cache.js';
import { FrameCacheEngine } from '../../src/platform/frame-cache-engine.js';
import { FrameCacheError } from '../../src/shared/errors.js';
import { openSlide } from '../../src/slide/slide.js';

const SERIES = 'https://pacs.example/dicom-web/studies/1/series/2';
const neverFetch = () => Promise.reject(new Error('no request expected'));

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(FrameCacheError);
    expect(error).toMatchObject({ code: 'invalid-option' });
    return (error as Error).message;
  }
  throw new Error('expected a throw');
}

describe('one validation module', () => {
  it.each([
    [
      'requestTimeoutMs 0',
      { requestTimeoutMs: 0 },
      'Expected `requestTimeoutMs` to be an integer from 1 to 2147483647, got `0` (number)',
    ],
    [
      'requestTimeoutMs 2^31',
      { requestTimeoutMs: 2 ** 31 },
      'Expected `requestTimeoutMs` to be an integer from 1 to 2147483647, got `2147483648` (number)',
    ],
    ['maxRetries -1', { maxRetries: -1 }, 'Expected `maxRetries` to be an integer >= 0, got `-1` (number)'],
    [
      'headers 5',
      { headers: 5 },
      'Expected `headers` to be a record of strings or a function returning one, got a value of another shape',
    ],
    [
      'headers with a number value',
      { headers: { Authorization: 5 } },
      'Expected `headers` to be a record of strings or a function returning one, got a value of another shape',
    ],
    [
      'logger {}',
      { logger: {} },
      'Expected `logger` to be an object with debug, info, warn and error functions, got `{}` (object)',
    ],
  ])('%s: the same message from the engine, the facade and openSlide', async (_, options, message) => {
    expect(messageOf(() => new FrameCacheEngine(options as never))).toBe(message);
    expect(messageOf(() => new FrameCache(options as never))).toBe(message);
    const error = await openSlide(SERIES, { fetch: neverFetch, ...(options as object) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FrameCacheError);
    expect((error as Error).message).toBe(message);
  });

  it('a bad signal: the same message from getFrame (engine) and openSlide', async () => {
    const engine = new FrameCacheEngine({});
    const instance = { url: `${SERIES}/instances/3`, frameCount: 2 };
    const fromEngine = await engine
      .getFrame(instance, 1, { signal: 'stop' as never })
      .catch((e: unknown) => (e as Error).message);
    const fromSlide = await openSlide(SERIES, { fetch: neverFetch, signal: 'stop' as never }).catch(
      (e: unknown) => (e as Error).message,
    );
    expect(fromEngine).toBe('Expected `signal` to be an AbortSignal, got `"stop"` (string)');
    expect(fromSlide).toBe(fromEngine);
    await engine.close();
  });
});
