// What the echo workers (echo.worker.ts, echo.shared-worker.ts) answer: a buffer sent is sent
// straight back; a number n, a fresh copy of n bytes the worker keeps (the floor of any cache that
// must not give its own buffer away, docs/worker-cost.md); { ahead: n }, those bytes copied into
// a buffer made ready after the previous answer, as the module packs getFrames
// (src/worker/spare-buffer.ts).
import { touchedBuffer } from '../../src/worker/spare-buffer.js';

export type EchoRequest = ArrayBuffer | number | { ahead: number };

/** Buffers kept per size asked (64 KiB: a frame; 1 MiB: a getFrames answer of 16). */
const kept = new Map<number, Uint8Array>();
const keptOf = (bytes: number): Uint8Array => {
  let source = kept.get(bytes);
  if (source === undefined) kept.set(bytes, (source = new Uint8Array(bytes).fill(7)));
  return source;
};

let ready: ArrayBuffer | undefined;
const copyAhead = (bytes: number): ArrayBuffer => {
  const target = ready !== undefined && ready.byteLength === bytes ? ready : new ArrayBuffer(bytes);
  ready = undefined;
  new Uint8Array(target).set(keptOf(bytes));
  setTimeout(() => (ready = touchedBuffer(bytes)), 0);
  return target;
};

/** The buffer to transfer back for `request`. */
export function echoAnswer(request: EchoRequest): ArrayBuffer {
  if (typeof request === 'number') return keptOf(request).slice().buffer;
  return 'ahead' in request ? copyAhead(request.ahead) : request;
}
