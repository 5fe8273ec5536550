// The worker side answers every failure as a FrameCacheError, and the page side turns whatever
// crosses into one: no DOMException (or other error) reaches a caller of the facade.
import { MessageChannel } from 'node:worker_threads';
import type { Remote } from 'comlink';
import { describe, expect, it } from 'vitest';
import { FrameCacheError, deserializeError, serializeError } from '../../src/shared/errors.js';
import type { EngineCallbacks, FrameChannelDown, PushMessage, WireResult } from '../../src/shared/protocol.js';
import { type AnswerValue, callOf, resultOf } from '../../src/shared/frame-wire.js';
import { WorkerHost } from '../../src/worker/worker-host.js';
import { FakeSource } from '../helpers/fake-source.js';
import { URL_A } from '../helpers/engine.js';

describe('WorkerHost errors', () => {
  it('a call for an engine the worker does not hold fails with closed', async () => {
    const host = new WorkerHost();
    const result = await host.stats(404);
    expect(result.ok).toBe(false);
    const error = deserializeError((result as { ok: false; error: Parameters<typeof deserializeError>[0] }).error);
    expect(error).toBeInstanceOf(FrameCacheError);
    expect(error).toMatchObject({ code: 'closed' });
  });

  it('a DOMException (or any error without our code) arrives as worker-crashed with the original as cause', () => {
    const error = deserializeError(serializeError(new DOMException('Could not clone', 'DataCloneError')));
    expect(error).toBeInstanceOf(FrameCacheError);
    expect(error.code).toBe('worker-crashed');
    expect(error.message).toContain('DataCloneError: Could not clone');
    expect(error.cause).toBeInstanceOf(Error);
    expect((error.cause as Error).name).toBe('DataCloneError');
  });

  it('a FrameCacheError crosses with its code and status', () => {
    const error = deserializeError(serializeError(new FrameCacheError('http', 'HTTP 503', { status: 503 })));
    expect(error).toMatchObject({ code: 'http', status: 503, message: 'HTTP 503' });
  });
});

/**
 * A host over `source` with its frame channel open and engine `engineId` created (blocks of
 * four frames, the seed's window); the test's end of the channel is `port2`.
 */
async function hostOnChannel(
  source: FakeSource,
  engineId: number,
  acceptsPush: boolean,
  callbacks: Remote<EngineCallbacks> | undefined,
) {
  const host = new WorkerHost({ engineOptions: { source } });
  const { port1, port2 } = new MessageChannel();
  host.openFrameChannel(port1 as unknown as MessagePort);
  const created = await host.create(
    {
      engineId,
      options: { wholeInstanceMaxFrames: 0, framesPerMiss: 4, hint: 'minimize-requests' },
      cacheInstanceUid: 'test',
      acceptsPush,
    },
    callbacks,
  );
  expect(created.ok).toBe(true);
  return { host, port1, port2 };
}

describe('WorkerHost pushes', () => {
  it("sends an engine's pushes on the frame channel, one way, not through the tab's callbacks", async () => {
    const source = new FakeSource();
    let callbackPushes = 0;
    const callbacks = {
      pushFrames: () => {
        callbackPushes++;
      },
    } as unknown as Remote<EngineCallbacks>;
    const { host, port1, port2 } = await hostOnChannel(source, 5, true, callbacks);
    const down: FrameChannelDown[] = [];
    const pushed = new Promise<PushMessage>((resolve) =>
      port2.on('message', (data: FrameChannelDown) => {
        down.push(data);
        if (!Array.isArray(data) && 'push' in data) resolve(data);
      }),
    );
    port2.postMessage([callOf(1, 5, { url: URL_A, frameCount: 8 }, 1, { priority: 'visible', pushEpoch: 0 })]);
    const push = await pushed;
    expect(push.push).toBe(5);
    // Frame 1 is the call's (its answer carries it); the rest of its block of four is pushed.
    expect(push.packet.frames.map(([, n]) => n)).toEqual([2, 3, 4]);
    const [, , offset, length] = push.packet.frames[0]!;
    expect(new Uint8Array(push.packet.buffer, offset, length)).toEqual(source.frameBytes(URL_A, 2));
    expect(down.some((m) => Array.isArray(m) && m.some(([id]) => id === 1))).toBe(true);
    expect(callbackPushes).toBe(0);
    await host.close(5);
    port1.close();
    port2.close();
  });
});

describe('WorkerHost hits on the frame channel', () => {
  it('answers hits in a buffer each of exactly the frame, counted once, the cached bytes kept', async () => {
    const size = 64 * 1024; // spares are made for frames of this length (spare-buffer.ts)
    const source = new FakeSource({ frameSize: () => size });
    const { host, port1, port2 } = await hostOnChannel(source, 7, false, undefined);
    const answers = new Map<number, WireResult<AnswerValue>>();
    let arrived: (() => void) | undefined;
    port2.on('message', (data: FrameChannelDown) => {
      if (!Array.isArray(data)) return;
      for (const answer of data) answers.set(answer[0], resultOf(answer));
      arrived?.();
    });
    const ask = async (id: number, frameNumber: number): Promise<Uint8Array> => {
      const got = new Promise<void>((resolve) => (arrived = resolve));
      port2.postMessage([
        callOf(id, 7, { url: URL_A, frameCount: 8 }, frameNumber, { priority: 'visible', pushEpoch: 0 }),
      ]);
      await got;
      const result = answers.get(id);
      if (result === undefined || !result.ok || !(result.value instanceof Uint8Array))
        throw new Error(`no frame for ${id}`);
      return result.value;
    };
    const first = await ask(1, 1); // the miss: loads frames 1-4
    const hits = [await ask(2, 2), await ask(3, 3), await ask(4, 2), await ask(5, 1)];
    for (const [bytes, n] of [
      [first, 1],
      [hits[0]!, 2],
      [hits[1]!, 3],
      [hits[2]!, 2],
      [hits[3]!, 1],
    ] as const) {
      expect(bytes).toEqual(source.frameBytes(URL_A, n));
      expect(bytes.buffer.byteLength).toBe(size);
    }
    expect(source.requests).toHaveLength(1);
    const stats = await host.stats(7);
    expect(stats.ok && stats.value.hits).toBe(4);
    expect(stats.ok && stats.value.misses).toBe(1);
    await host.close(7);
    port1.close();
    port2.close();
  });
});
