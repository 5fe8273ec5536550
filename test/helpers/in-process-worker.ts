/**
 * A `createWorker` for FrameCache in Node: the worker's side (a WorkerHost) exposed over an
 * in-process MessageChannel, `terminate()` closing both ends. `ports` collects the page ends.
 */
import { expose } from 'comlink';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { WorkerLike } from '../../src/page/worker-connection.js';
import type { WorkerHost } from '../../src/worker/worker-host.js';

export function inProcessWorker(host: () => WorkerHost, ports: MessagePort[] = []): () => WorkerLike {
  return () => {
    const { port1, port2 } = new MessageChannel();
    expose(host(), port1 as never);
    ports.push(port2);
    return Object.assign(port2, {
      terminate: () => {
        port1.close();
        port2.close();
      },
    }) as unknown as WorkerLike;
  };
}
