// The floor of the hit path in shared mode: a SharedWorker that sends every buffer straight back.
self.addEventListener('connect', (event: Event) => {
  const port = (event as MessageEvent).ports[0];
  if (port === undefined) return;
  port.addEventListener('message', (message: MessageEvent<ArrayBuffer>) => port.postMessage(message.data, [message.data]));
  port.start();
});
