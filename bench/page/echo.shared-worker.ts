// The floor of the hit path in shared mode: a SharedWorker that answers each port's requests as
// echo-answer.ts says (a buffer straight back, or a copy), transferred.
import { echoAnswer, type EchoRequest } from './echo-answer.js';

self.addEventListener('connect', (event: Event) => {
  const port = (event as MessageEvent).ports[0];
  if (port === undefined) return;
  port.addEventListener('message', (message: MessageEvent<EchoRequest>) => {
    const answer = echoAnswer(message.data);
    port.postMessage(answer, [answer]);
  });
  port.start();
});
