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
/** Sent { ahead: n }: the kept bytes copied into a buffer allocated and touched after the last answer. */
let ready: ArrayBuffer | undefined;
const copyAhead = (bytes: number): ArrayBuffer => {
  let source = kept.get(bytes);
  if (source === undefined) kept.set(bytes, (source = new Uint8Array(bytes).fill(7)));
  const target = ready !== undefined && ready.byteLength === bytes ? ready : new ArrayBuffer(bytes);
  ready = undefined;
  new Uint8Array(target).set(source);
  setTimeout(() => {
    const next = new ArrayBuffer(bytes);
    const pages = new Uint8Array(next);
    for (let at = 0; at < bytes; at += 4096) pages[at] = 0;
    ready = next;
  }, 0);
  return target;
};
self.addEventListener('message', (event: MessageEvent<ArrayBuffer | number | { ahead: number }>) => {
  const data = event.data;
  const answer = typeof data === 'number' ? copyOf(data) : 'ahead' in data ? copyAhead(data.ahead) : data;
  self.postMessage(answer, { transfer: [answer] });
});
export {};
