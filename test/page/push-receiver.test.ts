// The page's PushReceiver: frames of a getFrames answer go into the hot tier a task later,
// copied out of the answer's buffer; a caller's transfer of that buffer loses nothing else.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ByteLru } from '../../src/core/byte-lru.js';
import { PushReceiver } from '../../src/page/push-receiver.js';

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

describe('PushReceiver.keepLater', () => {
  it('keeps own copies a task later, and skips a frame whose buffer the caller transferred away', () => {
    const hot = new ByteLru<string>(1 << 20);
    const receiver = new PushReceiver(hot, (url, n) => `${url}#${n}`);
    const answer = new Uint8Array([1, 2, 3, 4, 5, 6]).buffer;
    const first = new Uint8Array(answer, 0, 3);
    const other = new Uint8Array([7, 8]);
    receiver.keepLater([
      ['u#1', first],
      ['u#2', other],
    ]);
    expect(hot.size).toBe(0); // not on the caller's path
    structuredClone(answer, { transfer: [answer] }); // the caller transferred the answer's buffer
    expect(first.byteLength).toBe(0);
    expect(() => vi.runAllTimers()).not.toThrow();
    expect(hot.get('u#1')).toBeUndefined();
    expect(hot.get('u#2')).toEqual(new Uint8Array([7, 8]));
    expect(hot.get('u#2')!.buffer).not.toBe(other.buffer); // its own copy
  });
});
