// The raw floor of the hit path: a worker that sends every buffer straight back, transferred.
// (Typed with the DOM lib: `self.postMessage(data, { transfer })` has the same shape in a worker.)
self.addEventListener('message', (event: MessageEvent<ArrayBuffer>) => {
  self.postMessage(event.data, { transfer: [event.data] });
});
