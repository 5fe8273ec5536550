import { describe, expect, it } from 'vitest';
import { FrameCacheError } from '../../src/shared/errors.js';
import { makeEngine } from '../helpers/engine.js';

describe('FrameCacheEngine', () => {
  describe('constructor options', () => {
    it.each<[string, Record<string, unknown>, string]>([
      ['maxBytes 0', { maxBytes: 0 }, 'Expected `maxBytes` to be an integer >= 1 or Infinity, got `0` (number)'],
      ['maxBytes -1', { maxBytes: -1 }, '`maxBytes`'],
      ['maxBytes NaN', { maxBytes: Number.NaN }, '`maxBytes`'],
      ['maxBytes 1.5', { maxBytes: 1.5 }, '`maxBytes`'],
      ['framesPerMiss 0', { framesPerMiss: 0 }, 'Expected `framesPerMiss` to be an integer >= 1, got `0` (number)'],
      [
        "framesPerMiss '5'",
        { framesPerMiss: '5' },
        'Expected `framesPerMiss` to be an integer >= 1, got `"5"` (string)',
      ],
      ['wholeInstanceMaxFrames -1', { wholeInstanceMaxFrames: -1 }, '`wholeInstanceMaxFrames`'],
      ['framesPerRequest 0', { framesPerRequest: 0 }, '`framesPerRequest`'],
      ['maxConcurrentRequests 0', { maxConcurrentRequests: 0 }, '`maxConcurrentRequests`'],
      ['requestTimeoutMs 0', { requestTimeoutMs: 0 }, '`requestTimeoutMs`'],
      ['maxRetries -1', { maxRetries: -1 }, '`maxRetries`'],
      ['maxRetries Infinity', { maxRetries: Infinity }, '`maxRetries`'],
      [
        'unknown hint',
        { hint: 'fastest' },
        "Expected `hint` to be one of 'minimize-requests', 'minimize-latency', 'no-wait'",
      ],
      ['spill true-ish string', { spill: 'yes' }, '`spill`'],
      ['spill.maxBytes 0', { spill: { maxBytes: 0 } }, '`spill.maxBytes`'],
      ['spill.maxAgeMs 0', { spill: { maxAgeMs: 0 } }, '`spill.maxAgeMs`'],
      ['spill.dbName empty', { spill: { dbName: '' } }, '`spill.dbName`'],
      ['spill.namespace number', { spill: { namespace: 3 } }, '`spill.namespace`'],
      ['spill unknown key', { spill: { size: 3 } }, 'Unknown option `size`'],
      ['headers with a number', { headers: { Authorization: 3 } }, '`headers`'],
      ['logger without error()', { logger: { debug() {}, info() {}, warn() {} } }, '`logger`'],
      ['unknown key', { maxbytes: 5 }, 'Unknown option `maxbytes`'],
      ['FrameCache-only key', { hotBytes: 5 }, 'Unknown option `hotBytes`'],
      ['clock without now()', { clock: {} }, 'Expected `clock` to be an object with now()'],
      ['uid not a function', { uid: 'u' }, 'Expected `uid` to be a function'],
      ['fetch not a function', { fetch: 'https://x' }, 'Expected `fetch` to be a function'],
      ['timers without clearTimeout()', { timers: { setTimeout() {} } }, 'Expected `timers` to be an object with'],
      ['source without fetchInstance()', { source: { fetchFrames() {} } }, 'Expected `source` to be an object with'],
      [
        'spillStore without stats()',
        { spillStore: { getMany() {}, putMany() {}, flush() {}, clear() {} } },
        '`spillStore`',
      ],
    ])('%s throws invalid-option naming the value', (_name, options, message) => {
      let error: unknown;
      try {
        makeEngine(options as never);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(FrameCacheError);
      expect((error as FrameCacheError).code).toBe('invalid-option');
      expect((error as Error).message).toContain(message);
    });

    it('never echoes header values in a validation message', () => {
      try {
        makeEngine({ headers: { Authorization: 'Bearer secret-token', X: 1 } } as never);
      } catch (error) {
        expect((error as Error).message).not.toContain('secret-token');
        return;
      }
      throw new Error('expected a throw');
    });

    it('accepts every documented option', async () => {
      const { engine } = makeEngine({
        headers: () => ({ Authorization: 'Bearer t' }),
        maxBytes: Infinity,
        framesPerMiss: 1,
        wholeInstanceMaxFrames: 0,
        framesPerRequest: 1,
        maxConcurrentRequests: 1,
        requestTimeoutMs: 1,
        maxRetries: 0,
        hint: 'no-wait',
        spill: false,
      });
      expect(engine.hint).toBe('no-wait');
      expect((await engine.stats()).memoryLimitBytes).toBeUndefined();
    });

    it('defaults: 256 MiB bound, hint minimize-latency (visible first)', async () => {
      const { engine } = makeEngine({ hint: undefined });
      expect((await engine.stats()).memoryLimitBytes).toBe(256 * 1024 * 1024);
      expect(engine.hint).toBe('minimize-latency');
    });
  });
});
