/**
 * A worker call that the caller's AbortSignal may end: the caller's wait rejects at once with
 * `signal.reason`, and `cancel(callId)` tells the worker to drop its waiter (a queued request
 * whose waiters all left is then dropped unsent).
 */
import type { FrameCallOptions } from '../shared/protocol.js';

let nextCallId = 1;

export function runAbortable<T>(
  signal: AbortSignal | undefined,
  opts: FrameCallOptions,
  run: (opts: FrameCallOptions) => Promise<T>,
  cancel: (callId: number) => void,
): Promise<T> {
  // Without a signal, the call's own promise: no async frame around it (the hit path).
  return signal === undefined ? run(opts) : runWithSignal(signal, opts, run, cancel);
}

async function runWithSignal<T>(
  signal: AbortSignal,
  opts: FrameCallOptions,
  run: (opts: FrameCallOptions) => Promise<T>,
  cancel: (callId: number) => void,
): Promise<T> {
  signal.throwIfAborted();
  const callId = nextCallId++;
  let onAbort!: () => void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      reject(signal.reason);
      cancel(callId);
    };
  });
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await Promise.race([run({ ...opts, callId }), aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
