/**
 * The page end of fetch.shared-worker.ts: a SharedWorker started (and answering) before any clock,
 * and jobs of URLs sent to it. With `withFrames`, the worker does the module's unavoidable work on
 * the way and the page copies each frame out of the buffers it is sent, as the module's page does
 * (each caller owns a buffer of its frame). Used by the trace's 'view-shared-worker(-frames)'
 * peers and the cold read's 'sw-frames' floor.
 */
import { viewFrames } from '../../src/worker/frame-pusher.js';
import type { FetchJob, FramesReply } from './fetch.shared-worker.js';

/** The Accept of the module's frames requests (as stored, any transfer syntax): every floor sends it. */
export const FRAMES_ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=*';

/** A reply of fetch.shared-worker.ts: a bodies job's answers, a frames job's frames, or an error. */
type WorkerReply =
  { id: number; answers: { ok: boolean; body: ArrayBuffer }[] } | FramesReply | { id: number; error: string };

export interface FramesWorker {
  /** From construction to the worker's first answer, ms. */
  setupMs: number;
  /**
   * Fetches `urls` (each a frames request carrying `expected[i]` frames) from the worker; resolves
   * when every answer ended. bytes: frame bytes (bodies: body bytes, multipart framing included).
   */
  run(urls: string[], expected: number[], withFrames: boolean): Promise<{ bytes: number; missing: number }>;
  close(): void;
}

/** `dedicated`: the same worker as a dedicated Worker (fetch.worker.ts), the floor of `{ shared: false }`. */
export async function openFramesWorker(dedicated = false): Promise<FramesWorker> {
  const started = performance.now();
  let port: MessagePort | Worker;
  let close: () => void;
  if (dedicated) {
    const worker = new Worker(new URL('./fetch.worker.ts', import.meta.url), { type: 'module' });
    port = worker;
    close = () => worker.terminate();
  } else {
    const worker = new SharedWorker(new URL('./fetch.shared-worker.ts', import.meta.url), { type: 'module' });
    port = worker.port;
    close = () => worker.port.close();
  }
  const waiting = new Map<number, (reply: WorkerReply) => void>();
  let pong: (() => void) | undefined;
  port.addEventListener('message', (event: Event) => {
    const data = (event as MessageEvent<'pong' | WorkerReply>).data;
    if (data === 'pong') pong?.();
    else waiting.get(data.id)?.(data);
  });
  if (port instanceof MessagePort) port.start();
  await new Promise<void>((resolve) => {
    pong = resolve;
    port.postMessage('ping');
  });
  const setupMs = performance.now() - started;
  let nextId = 1;
  return {
    setupMs,
    run: async (urls, expected, withFrames) => {
      const id = nextId++;
      const job: FetchJob = { id, accept: FRAMES_ACCEPT, urls, kind: withFrames ? 'frames' : 'bodies' };
      let bytes = 0;
      let missing = 0;
      if (urls.length === 0) return { bytes, missing };
      await new Promise<void>((resolve, reject) => {
        let open = urls.length;
        const got = urls.map(() => 0);
        waiting.set(id, (reply) => {
          if ('error' in reply) reject(new Error(`fetch.shared-worker: ${reply.error}`));
          else if ('answers' in reply) {
            reply.answers.forEach((answer, i) => {
              if (!answer.ok) missing += expected[i] ?? 0;
              bytes += answer.body.byteLength;
            });
            resolve();
          } else {
            // Each frame copied out into a buffer of its own, as the module's page does.
            for (const frame of viewFrames({ buffer: reply.frames, lengths: reply.lengths })) {
              if (frame === undefined) continue;
              bytes += frame.slice().byteLength;
              got[reply.url]!++;
            }
            if (!reply.done) return;
            missing += (expected[reply.url] ?? 0) - got[reply.url]!;
            if (--open === 0) resolve();
          }
        });
        port.postMessage(job);
      }).finally(() => waiting.delete(id));
      return { bytes, missing };
    },
    close,
  };
}
