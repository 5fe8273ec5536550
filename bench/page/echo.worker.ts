// The raw floor of the hit path: a worker that sends every buffer straight back, transferred.
// Sent a number instead, it answers with a fresh copy of a buffer of that many bytes it keeps,
// transferred: the floor of any cache that must not give its own buffer away (docs/worker-cost.md).
// (Typed with the DOM lib: `self.postMessage(data, { transfer })` has the same shape in a worker.)
/** Buffers kept per size asked (64 KiB: a frame; 1 MiB: a getFrames answer of 16). */
const kept = new Map<number, Uint8Array>();
const copyOf = (bytes: number): ArrayBuffer => {
  let source = kept.get(bytes);
  if (source === undefined) kept.set(bytes, (source = new Uint8Array(bytes).fill(7)));
  return source.slice().buffer;
};
self.addEventListener('message', (event: MessageEvent<ArrayBuffer | number>) => {
  const data = event.data;
  const answer = typeof data === 'number' ? copyOf(data) : data;
  self.postMessage(answer, { transfer: [answer] });
});
export {};
