/**
 * Page end of the frame channel (protocol.ts FrameChannelRequest): getFrame and getFrames as flat
 * arrays on a MessagePort of their own, answered by id. Crashes are the connection's business:
 * a call whose worker died is rejected by WorkerConnection.call, and close() forgets the rest.
 */
import type { InstanceRef } from '../core/types.js';
import type { FrameCallOptions, FrameChannelAnswer, FrameChannelRequest, WireResult } from '../shared/protocol.js';

export class FrameChannel {
  readonly #port: MessagePort;
  readonly #pending = new Map<number, (result: WireResult<unknown>) => void>();
  #nextId = 1;

  constructor(port: MessagePort) {
    this.#port = port;
    port.addEventListener('message', (event) => {
      const [id, result] = (event as MessageEvent<FrameChannelAnswer>).data;
      const resolve = this.#pending.get(id);
      if (resolve === undefined) return;
      this.#pending.delete(id);
      resolve(result);
    });
    port.start();
  }

  /** One getFrame (`frames` a number) or getFrames (`frames` a list) call. */
  request<T>(
    engineId: number,
    instance: InstanceRef,
    frames: number | number[],
    opts: FrameCallOptions,
  ): Promise<WireResult<T>> {
    return new Promise((resolve) => {
      const id = this.#nextId++;
      this.#pending.set(id, resolve as (result: WireResult<unknown>) => void);
      const message: FrameChannelRequest = [id, engineId, instance.url, instance.frameCount, frames, opts];
      // oxlint-disable-next-line unicorn/require-post-message-target-origin -- a MessagePort takes no origin
      this.#port.postMessage(message);
    });
  }

  /** Tells the worker that the caller of `callId` left (after the call: same port, same order). */
  cancel(callId: number): void {
    const message: FrameChannelRequest = { cancel: callId };
    // oxlint-disable-next-line unicorn/require-post-message-target-origin -- a MessagePort takes no origin
    this.#port.postMessage(message);
  }

  close(): void {
    this.#pending.clear();
    this.#port.close();
  }
}
