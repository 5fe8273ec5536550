// The frame channel sends the calls of one task as one message, and the worker end answers what
// became ready in one task as one message (shared mode pays per message: docs/worker-cost.md).
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { FrameChannel } from '../../src/page/frame-channel.js';
import { PortOutbox } from '../../src/shared/port-outbox.js';
import type { FrameChannelAnswer, FrameChannelMessage } from '../../src/shared/protocol.js';

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
    void channel.request(7, instance, [2, 3], {});
    channel.cancel(42);
    await received;
    expect(messages).toHaveLength(1);
    expect(messages[0]).toEqual([[1, 7, instance.url, 9, 1, {}], [2, 7, instance.url, 9, [2, 3], {}], { cancel: 42 }]);
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
    outbox.add([2, { ok: true, value: b }], [b.buffer]);
    outbox.add([1, { ok: true, value: a }], [a.buffer]);
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
    expect(messages).toEqual([[[1, 7, instance.url, 9, 1, {}]]]);
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
