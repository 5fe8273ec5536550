/**
 * A worker call that the caller's AbortSignal may end: the caller's wait rejects at once with
 * `signal.reason`, and `cancel(callId)` tells the worker to drop its waiter (a queued request
 * whose waiters all left is then dropped unsent).
 */
import type { FrameCallOptions } from '../shared/protocol.js';

let nextCallId = 1;

export async function runAbortable<T>(
  signal: AbortSignal | undefined,
  opts: FrameCallOptions,
  run: (opts: FrameCallOptions) => Promise<T>,
  cancel: (callId: number) => void,
): Promise<T> {
  if (signal === undefined) return run(opts);
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
