// The floor of the hit path in shared mode: a SharedWorker that sends every buffer straight back
// (or, sent a number, a fresh copy of a 64 KiB buffer it keeps: see echo.worker.ts).
const kept = new Uint8Array(64 * 1024).fill(7);
self.addEventListener('connect', (event: Event) => {
  const port = (event as MessageEvent).ports[0];
  if (port === undefined) return;
  port.addEventListener('message', (message: MessageEvent<ArrayBuffer | number>) => {
    const data = message.data;
    const answer = typeof data === 'number' ? kept.slice().buffer : data;
    port.postMessage(answer, [answer]);
  });
  port.start();
});
export {};
