// The floor of the hit path in shared mode: a SharedWorker that sends every buffer straight back
// (or, sent a number, a fresh copy of a buffer of that size it keeps: see echo.worker.ts).
/** Buffers kept per size asked (64 KiB: a frame; 1 MiB: a getFrames answer of 16). */
const kept = new Map<number, Uint8Array>();
const copyOf = (bytes: number): ArrayBuffer => {
  let source = kept.get(bytes);
  if (source === undefined) kept.set(bytes, (source = new Uint8Array(bytes).fill(7)));
  return source.slice().buffer;
};
self.addEventListener('connect', (event: Event) => {
  const port = (event as MessageEvent).ports[0];
  if (port === undefined) return;
  port.addEventListener('message', (message: MessageEvent<ArrayBuffer | number>) => {
    const data = message.data;
    const answer = typeof data === 'number' ? copyOf(data) : data;
    port.postMessage(answer, [answer]);
  });
  port.start();
});
export {};
