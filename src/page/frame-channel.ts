/**
 * Page end of the frame channel (protocol.ts FrameChannelMessage): getFrame and getFrames as flat
 * arrays on a MessagePort of their own, answered by id. The calls (and cancels) of one task go
 * out as one message: a viewer asks for a view's tiles in one task, and in shared mode every
 * message crosses processes (~150 µs each way, docs/worker-cost.md), so 57 calls sent one by one
 * reached the worker over ~30 ms and the view's misses left in several requests. Crashes are the
 * connection's business: a call whose worker died is rejected by WorkerConnection.call, and
 * close() forgets the rest.
 */
import type { InstanceRef } from '../core/types.js';
import { serializeError } from '../shared/errors.js';
import { type AnswerValue, callOf, resultOf } from '../shared/frame-wire.js';
import { PortOutbox } from '../shared/port-outbox.js';
import type {
  FrameCallOptions,
  FrameChannelDown,
  FrameChannelRequest,
  FramePacket,
  FrameSlice,
  WireResult,
} from '../shared/protocol.js';

function isSlice(value: AnswerValue): value is FrameSlice {
  return value !== undefined && !(value instanceof Uint8Array) && 'at' in value;
}

/**
 * A getFrame answer of a packed message (shared mode, worker/answer-pack.ts): a buffer of its own
 * (a caller that keeps it pins no other frame), or the whole buffer when it holds only this frame.
 */
function sliceOf(frames: ArrayBuffer, { at, length }: FrameSlice): Uint8Array {
  if (at === 0 && length === frames.byteLength) return new Uint8Array(frames);
  return new Uint8Array(frames.slice(at, at + length));
}

export class FrameChannel {
  readonly #port: MessagePort;
  readonly #pending = new Map<number, (result: WireResult<unknown>) => void>();
  readonly #outbox: PortOutbox<FrameChannelRequest>;
  #nextId = 1;

  /** `onPush`: frames the worker pushed to engine `engineId` (frame-pusher.ts). */
  constructor(port: MessagePort, onPush?: (engineId: number, packet: FramePacket) => void) {
    this.#port = port;
    this.#outbox = new PortOutbox(port, (request, error) => {
      // A call that cannot reach the worker fails now instead of waiting for ever.
      if (!Array.isArray(request)) return;
      const resolve = this.#pending.get(request[0]);
      if (resolve === undefined) return;
      this.#pending.delete(request[0]);
      resolve({ ok: false, error: serializeError(error) });
    });
    port.addEventListener('message', (event) => {
      const data = (event as MessageEvent<FrameChannelDown>).data;
      if (!Array.isArray(data) && 'push' in data) {
        onPush?.(data.push, data.packet);
        return;
      }
      const answers = Array.isArray(data) ? data : data.answers;
      const frames = Array.isArray(data) ? undefined : data.frames;
      for (const answer of answers) {
        const resolve = this.#pending.get(answer[0]);
        if (resolve === undefined) continue;
        this.#pending.delete(answer[0]);
        const value = answer[1];
        resolve(
          frames !== undefined && isSlice(value) ? { ok: true, value: sliceOf(frames, value) } : resultOf(answer),
        );
      }
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
    return new Promise((resolve) => this.send(engineId, instance, frames, opts, resolve));
  }

  /** request() without its promise: `onResult` is called once, with the answer. */
  send<T>(
    engineId: number,
    instance: InstanceRef,
    frames: number | number[],
    opts: FrameCallOptions,
    onResult: (result: WireResult<T>) => void,
  ): void {
    const id = this.#nextId++;
    this.#pending.set(id, onResult as (result: WireResult<unknown>) => void);
    this.#outbox.add(callOf(id, engineId, instance, frames, opts));
  }

  /** Tells the worker that the caller of `callId` left (after the call: same port, same order). */
  cancel(callId: number): void {
    this.#outbox.add({ cancel: callId });
  }

  close(): void {
    this.#outbox.close();
    this.#pending.clear();
    this.#port.close();
  }
}
