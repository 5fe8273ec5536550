import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { AbortFanout } from '../../src/core/abort-fanout.js';
import { URL_A, drain, flush, makeEngine } from '../helpers/engine.js';

const listeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length;

describe('AbortFanout', () => {
  it('many waits on one signal add one listener, and each hears the abort once', () => {
    const fanout = new AbortFanout();
    const controller = new AbortController();
    const heard: number[] = [];
    for (let i = 0; i < 100; i++) fanout.add(controller.signal, () => heard.push(i));
    expect(listeners(controller.signal)).toBe(1);
    expect(fanout.waiting(controller.signal)).toBe(100);
    controller.abort();
    expect(heard).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(listeners(controller.signal)).toBe(0);
    expect(fanout.waiting(controller.signal)).toBe(0);
  });

  it('the last removal takes the listener off the signal; a removed wait hears nothing', () => {
    const fanout = new AbortFanout();
    const controller = new AbortController();
    const heard: string[] = [];
    const removeA = fanout.add(controller.signal, () => heard.push('a'));
    const removeB = fanout.add(controller.signal, () => heard.push('b'));
    removeA();
    removeA(); // twice: nothing more
    expect(listeners(controller.signal)).toBe(1);
    removeB();
    expect(listeners(controller.signal)).toBe(0);
    // A later wait on the same signal listens again.
    fanout.add(controller.signal, () => heard.push('c'));
    expect(listeners(controller.signal)).toBe(1);
    controller.abort();
    expect(heard).toEqual(['c']);
  });

  it('a handler that ends another wait during the abort keeps that one from being called', () => {
    const fanout = new AbortFanout();
    const controller = new AbortController();
    const heard: string[] = [];
    let removeSecond: () => void = () => undefined;
    fanout.add(controller.signal, () => {
      heard.push('first');
      removeSecond();
    });
    removeSecond = fanout.add(controller.signal, () => heard.push('second'));
    controller.abort();
    expect(heard).toEqual(['first']);
    removeSecond(); // after the abort: nothing
  });

  it('a handler that throws does not keep the others from hearing the abort; its error is thrown after them', () => {
    // A stand-in signal, so the listener is called here (a real one would report the error as uncaught).
    let listener: (() => void) | undefined;
    const signal = {
      addEventListener: (_type: string, added: () => void) => (listener = added),
      removeEventListener: () => (listener = undefined),
    } as unknown as AbortSignal;
    const fanout = new AbortFanout();
    const heard: string[] = [];
    fanout.add(signal, () => {
      heard.push('first');
      throw new Error('first failed');
    });
    fanout.add(signal, () => {
      heard.push('second');
      throw new Error('second failed');
    });
    fanout.add(signal, () => heard.push('third'));
    expect(() => listener!()).toThrow('first failed');
    expect(heard).toEqual(['first', 'second', 'third']);
    expect(fanout.waiting(signal)).toBe(0);
  });

  it('signals are independent', () => {
    const fanout = new AbortFanout();
    const one = new AbortController();
    const two = new AbortController();
    const heard: string[] = [];
    fanout.add(one.signal, () => heard.push('one'));
    fanout.add(two.signal, () => heard.push('two'));
    one.abort();
    expect(heard).toEqual(['one']);
    expect(listeners(two.signal)).toBe(1);
    two.abort();
    expect(heard).toEqual(['one', 'two']);
  });
});

describe('the engine with one signal for a view', () => {
  it('100 waiting getFrame calls put one listener on it, none once they settle or abort', async () => {
    const { engine, source } = makeEngine(
      { maxConcurrentRequests: 2, framesPerMiss: 1, wholeInstanceMaxFrames: 0 },
      { gated: true },
    );
    const instance = { url: URL_A, frameCount: 200 };
    const settled = new AbortController();
    const first = Array.from({ length: 100 }, (_, i) => engine.getFrame(instance, i + 1, { signal: settled.signal }));
    await flush();
    expect(listeners(settled.signal)).toBe(1);
    await drain(engine, source);
    const frames = await Promise.all(first);
    expect(frames.every((f) => f instanceof Uint8Array)).toBe(true);
    expect(listeners(settled.signal)).toBe(0);

    const aborted = new AbortController();
    const second = Array.from({ length: 50 }, (_, i) =>
      engine.getFrame(instance, i + 101, { signal: aborted.signal }).catch((e: unknown) => e),
    );
    await flush();
    expect(listeners(aborted.signal)).toBe(1);
    aborted.abort(new Error('panned'));
    const results = await Promise.all(second);
    expect(results.every((r) => r instanceof Error && r.message === 'panned')).toBe(true);
    expect(listeners(aborted.signal)).toBe(0);
    await engine.close();
  });
});
