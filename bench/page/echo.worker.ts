// The raw floor of the hit path: a worker that answers each request as echo-answer.ts says
// (a buffer straight back, or a copy), transferred.
// (Typed with the DOM lib: `self.postMessage(data, { transfer })` has the same shape in a worker.)
import { echoAnswer, type EchoRequest } from './echo-answer.js';

self.addEventListener('message', (event: MessageEvent<EchoRequest>) => {
  const answer = echoAnswer(event.data);
  self.postMessage(answer, { transfer: [answer] });
});
