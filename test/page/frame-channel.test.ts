// The frame channel sends the calls of one task as one message, and the worker end answers what
// became ready in one task as one message (shared mode pays per message: docs/worker-cost.md).
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { FrameChannel } from '../../src/page/frame-channel.js';
import { PortOutbox } from '../../src/shared/port-outbox.js';
import type { FrameChannelAnswer, FrameChannelMessage } from '../../src/shared/protocol.js';

const instance = { url: 'https://example.test/dicom-web/studies/1/series/2/instances/3', frameCount: 9 };

describe('FrameChannel', () => {
  it('sends the calls and cancels of one task as one message, in call order', async () => {
    const { port1, port2 } = new MessageChannel();
    const channel = new FrameChannel(port1 as unknown as MessagePort);
    const messages: FrameChannelMessage[] = [];
    const received = new Promise<void>((resolve) => {
      port2.on('message', (data: FrameChannelMessage) => {
        messages.push(data);
        resolve();
      });
    });
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
});
