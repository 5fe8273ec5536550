// The raw floor of the hit path: a worker that sends every buffer straight back, transferred.
// Sent a number instead, it answers with a fresh copy of a 64 KiB buffer it keeps, transferred:
// the floor of any cache that must not give its own buffer away (docs/worker-cost.md).
// (Typed with the DOM lib: `self.postMessage(data, { transfer })` has the same shape in a worker.)
const kept = new Uint8Array(64 * 1024).fill(7);
self.addEventListener('message', (event: MessageEvent<ArrayBuffer | number>) => {
  const data = event.data;
  const answer = typeof data === 'number' ? kept.slice().buffer : data;
  self.postMessage(answer, { transfer: [answer] });
});
export {};
