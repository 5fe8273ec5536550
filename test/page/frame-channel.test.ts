// The frame channel sends the calls of one task as one message, and the worker end answers what
// became ready in one task as one message (shared mode pays per message: docs/worker-cost.md).
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { FrameChannel } from '../../src/page/frame-channel.js';
import { answerOf, callOf, optionsOf, resultOf } from '../../src/shared/frame-wire.js';
import { PortOutbox } from '../../src/shared/port-outbox.js';
import type {
  FrameChannelAnswer,
  FrameChannelAnswers,
  FrameChannelMessage,
  FramePacket,
  PackedFrames,
  PushMessage,
} from '../../src/shared/protocol.js';
import { packAnswers } from '../../src/worker/answer-pack.js';

const instance = { url: 'https://example.test/dicom-web/studies/1/series/2/instances/3', frameCount: 9 };

/** The messages the worker end receives; `received` resolves at the first. */
function collect(port: InstanceType<typeof MessageChannel>['port2']) {
  const messages: FrameChannelMessage[] = [];
  const received = new Promise<void>((resolve) => {
    port.on('message', (data: FrameChannelMessage) => {
      messages.push(data);
      resolve();
    });
  });
  return { messages, received };
}

describe('FrameChannel', () => {
  it('sends the calls and cancels of one task as one message, in call order', async () => {
    const { port1, port2 } = new MessageChannel();
    const channel = new FrameChannel(port1 as unknown as MessagePort);
    const { messages, received } = collect(port2);
    void channel.request(7, instance, 1, {});
    void channel.request(7, instance, [2, 3], {
      hint: 'minimize-latency',
      priority: 'prefetch',
      callId: 5,
      pushEpoch: 2,
    });
    channel.cancel(42);
    await received;
    expect(messages).toHaveLength(1);
    // Options as positions (hint, priority, callId, pushEpoch): no object to clone.
    expect(messages[0]).toEqual([
      [1, 7, instance.url, 9, 1, undefined, undefined, undefined, undefined],
      [2, 7, instance.url, 9, [2, 3], 'minimize-latency', 'prefetch', 5, 2],
      { cancel: 42 },
    ]);
    channel.close();
    port2.close();
  });

  it('resolves each call from a message of several answers', async () => {
    const { port1, port2 } = new MessageChannel();
    const channel = new FrameChannel(port1 as unknown as MessagePort);
    const outbox = new PortOutbox<FrameChannelAnswer>(port2 as unknown as MessagePort);
    const posted: FrameChannelAnswer[][] = [];
    const realPost = port2.postMessage.bind(port2);
    port2.postMessage = ((value: FrameChannelAnswer[], transfer?: ArrayBuffer[]) => {
      posted.push(value);
      realPost(value, transfer);
    }) as unknown as typeof port2.postMessage;
    const first = channel.request<Uint8Array>(1, instance, 1, {});
    const second = channel.request<Uint8Array>(1, instance, 2, {});
    const a = new Uint8Array([1, 1]);
    const b = new Uint8Array([2, 2, 2]);
    outbox.add([2, b], [b.buffer]);
    outbox.add([1, a], [a.buffer]);
    const [one, two] = await Promise.all([first, second]);
    expect(posted).toHaveLength(1);
    expect(one).toEqual({ ok: true, value: new Uint8Array([1, 1]) });
    expect(two).toEqual({ ok: true, value: new Uint8Array([2, 2, 2]) });
    // Transferred: the worker's buffers are detached.
    expect(a.byteLength).toBe(0);
    channel.close();
    port2.close();
  });

  it('fails a call that cannot be posted, and still sends the others of its task', async () => {
    const { port1, port2 } = new MessageChannel();
    const realPost = port1.postMessage.bind(port1);
    // A request that does not clone (as a DataCloneError would): only when frame 666 is in it.
    port1.postMessage = ((value: unknown, transfer?: ArrayBuffer[]) => {
      if (JSON.stringify(value).includes('666')) throw new DOMException('could not clone', 'DataCloneError');
      realPost(value, transfer);
    }) as unknown as typeof port1.postMessage;
    const channel = new FrameChannel(port1 as unknown as MessagePort);
    const { messages, received } = collect(port2);
    void channel.request(7, instance, 1, {});
    const bad = await channel.request(7, instance, 666, {});
    expect(bad).toMatchObject({ ok: false, error: { name: 'DataCloneError', message: 'could not clone' } });
    await received;
    expect(messages).toEqual([[[1, 7, instance.url, 9, 1, undefined, undefined, undefined, undefined]]]);
    channel.close();
    port2.close();
  });
});

/** Records what the worker end posts (and what it transfers), then posts it. */
function recordPosts(port: InstanceType<typeof MessageChannel>['port2']) {
  const posted: { message: FrameChannelAnswers; transfers: number[] }[] = [];
  const realPost = port.postMessage.bind(port);
  port.postMessage = ((message: FrameChannelAnswers, transfers: ArrayBuffer[] = []) => {
    posted.push({ message, transfers: transfers.map((t) => t.byteLength) });
    realPost(message, transfers);
  }) as unknown as typeof port.postMessage;
  return posted;
}

describe('FrameChannel with packed answers (shared mode)', () => {
  it('sends the getFrame answers of one task in one buffer and hands each caller a buffer of exactly its frame', async () => {
    const { port1, port2 } = new MessageChannel();
    const channel = new FrameChannel(port1 as unknown as MessagePort);
    const outbox = new PortOutbox<FrameChannelAnswer>(port2 as unknown as MessagePort, undefined, packAnswers);
    const posted = recordPosts(port2);
    const calls = [1, 2, 3, 4, 5].map((n) => channel.request<unknown>(1, instance, n, {}));
    // The cached bytes themselves (a view into a larger buffer, as a parsed answer's frames are).
    const cache = new Uint8Array([9, 1, 1, 2, 2, 2, 9]);
    const a = cache.subarray(1, 3);
    const b = cache.subarray(3, 6);
    const packedFrames = new Uint8Array([7, 7, 8]).buffer;
    const many: PackedFrames = { buffer: packedFrames, lengths: [2, -1, 1] };
    outbox.add([2, b]);
    outbox.add([1, a]);
    outbox.add([3, undefined]);
    outbox.add([4, undefined, { name: 'FrameCacheError', message: 'HTTP 503', code: 'http' }]);
    outbox.add([5, many], [packedFrames]);
    const [one, two, three, four, five] = await Promise.all(calls);
    expect(posted).toHaveLength(1);
    const { message, transfers } = posted[0]!;
    expect(Array.isArray(message)).toBe(false);
    // One buffer for both getFrame answers, plus getFrames' own.
    expect(transfers).toEqual([5, 3]);
    const bytes = (r: unknown) => (r as { value: Uint8Array }).value;
    expect(bytes(one)).toEqual(new Uint8Array([1, 1]));
    expect(bytes(two)).toEqual(new Uint8Array([2, 2, 2]));
    // Each its own buffer, not a view of the message's.
    expect(bytes(one).buffer.byteLength).toBe(2);
    expect(bytes(two).buffer.byteLength).toBe(3);
    expect(three).toEqual({ ok: true, value: undefined });
    expect(four).toMatchObject({ ok: false, error: { code: 'http' } });
    expect(five).toMatchObject({ ok: true, value: { lengths: [2, -1, 1] } });
    expect(new Uint8Array((five as { value: PackedFrames }).value.buffer)).toEqual(new Uint8Array([7, 7, 8]));
    // Copied, never transferred: the cache keeps its bytes.
    expect(cache).toEqual(new Uint8Array([9, 1, 1, 2, 2, 2, 9]));
    channel.close();
    port2.close();
  });

  it('hands a lone answer the message buffer itself, without a second copy', async () => {
    const { port1, port2 } = new MessageChannel();
    const channel = new FrameChannel(port1 as unknown as MessagePort);
    const outbox = new PortOutbox<FrameChannelAnswer>(port2 as unknown as MessagePort, undefined, packAnswers);
    const posted = recordPosts(port2);
    const call = channel.request<Uint8Array>(1, instance, 1, {});
    const cached = new Uint8Array([4, 5, 6]);
    outbox.add([1, cached]);
    const result = await call;
    expect(result).toEqual({ ok: true, value: new Uint8Array([4, 5, 6]) });
    expect(posted[0]!.transfers).toEqual([3]);
    expect(cached).toEqual(new Uint8Array([4, 5, 6]));
    channel.close();
    port2.close();
  });

  it('packs the others again when one answer of the task cannot be posted', async () => {
    const { port1, port2 } = new MessageChannel();
    const channel = new FrameChannel(port1 as unknown as MessagePort);
    const undeliverable: FrameChannelAnswer[] = [];
    const outbox = new PortOutbox<FrameChannelAnswer>(
      port2 as unknown as MessagePort,
      (item) => undeliverable.push(item),
      packAnswers,
    );
    const first = channel.request<Uint8Array>(1, instance, 1, {});
    void channel.request<Uint8Array>(1, instance, 2, {});
    const third = channel.request<Uint8Array>(1, instance, 3, {});
    outbox.add([1, new Uint8Array([1])]);
    // An error that does not clone (as a DataCloneError would).
    const spoilt = [2, undefined, { name: 'x', message: 'y', cause: () => 1 }] as unknown as FrameChannelAnswer;
    outbox.add(spoilt);
    outbox.add([3, new Uint8Array([3, 3])]);
    expect(await first).toEqual({ ok: true, value: new Uint8Array([1]) });
    expect(await third).toEqual({ ok: true, value: new Uint8Array([3, 3]) });
    expect(undeliverable).toEqual([spoilt]);
    channel.close();
    port2.close();
  });
});

describe('FrameChannel pushes', () => {
  it('hands a push message to onPush with its engine id, and resolves no call with it', async () => {
    const { port1, port2 } = new MessageChannel();
    const pushes: [number, FramePacket][] = [];
    let pushed!: () => void;
    const arrived = new Promise<void>((resolve) => (pushed = resolve));
    const channel = new FrameChannel(port1 as unknown as MessagePort, (engineId, packet) => {
      pushes.push([engineId, packet]);
      pushed();
    });
    let settled = false;
    void channel.request(3, instance, 1, {}).then(() => (settled = true)); // call id 1
    const buffer = new Uint8Array([9, 8, 7]).buffer;
    const message: PushMessage = { push: 3, packet: { epoch: 0, buffer, frames: [[instance.url, 1, 0, 3]] } };
    port2.postMessage(message, [buffer]);
    await arrived;
    expect(pushes).toHaveLength(1);
    expect(pushes[0]![0]).toBe(3);
    expect(pushes[0]![1].frames).toEqual([[instance.url, 1, 0, 3]]);
    expect([...new Uint8Array(pushes[0]![1].buffer)]).toEqual([9, 8, 7]);
    expect(settled).toBe(false); // a push is no answer: call 1 still waits for its own
    channel.close();
    port2.close();
  });
});

describe('PortOutbox', () => {
  it('posts the items of a batch one by one when the batch fails, and hands over the one that cannot go', async () => {
    const { port1, port2 } = new MessageChannel();
    const undeliverable: [unknown, unknown][] = [];
    const outbox = new PortOutbox<unknown>(port1 as unknown as MessagePort, (item, error) =>
      undeliverable.push([item, error]),
    );
    const received: unknown[][] = [];
    const both = new Promise<void>((resolve) => {
      port2.on('message', (data: unknown[]) => {
        received.push(data);
        if (received.length === 2) resolve();
      });
    });
    const spoilt = (): number => 1; // a function does not clone
    const buffer = new ArrayBuffer(4);
    outbox.add('first', [buffer]);
    outbox.add(spoilt);
    outbox.add('third');
    await both;
    expect(received).toEqual([['first'], ['third']]);
    expect(buffer.byteLength).toBe(0); // still transferred with its own item
    expect(undeliverable.map(([item]) => item)).toEqual([spoilt]);
    expect((undeliverable[0]![1] as Error).name).toBe('DataCloneError');
    port1.close();
    port2.close();
  });
});

describe('frame-wire', () => {
  it('reads back the options and results it wrote', () => {
    const opts = { hint: 'no-wait', priority: 'prefetch', callId: 9, pushEpoch: 1 } as const;
    const call = callOf(3, 4, instance, [1, 2], opts);
    expect(optionsOf(call)).toEqual(opts);
    expect(optionsOf(callOf(3, 4, instance, 1, {}))).toEqual({});
    const bytes = new Uint8Array([1]);
    expect(resultOf(answerOf(3, { ok: true, value: bytes }))).toEqual({ ok: true, value: bytes });
    expect(resultOf(answerOf(3, { ok: true, value: undefined }))).toEqual({ ok: true, value: undefined });
    const error = { name: 'FrameCacheError', message: 'HTTP 503', code: 'http' as const };
    expect(resultOf(answerOf(3, { ok: false, error }))).toEqual({ ok: false, error });
  });
});
