// The module's architecture without the module (issue 11, the first view's and the cold read's
// floors): a SharedWorker that fetches the URLs it is sent and sends the answers back to the page
// (its page end: shared-worker-jobs.ts, used by the trace's 'view-shared-worker' peers and the
// cold read's (e'') floor). Two kinds of job:
//  - bodies: each body read to its end, the bodies transferred back in one message (the hops);
//  - frames: what the module's shared mode cannot avoid doing on the way, and nothing else: each
//    body read as a stream and parsed as multipart (the module's parser), each frame copied once
//    into a cache of its own, and after each read the frames it completed copied into one
//    buffer and posted (the module's answer pack); the page copies each frame out of it
//    (shared-worker-jobs.ts). No scheduling, batching, learning, hot tier or bookkeeping.
import { boundaryOf } from '../../src/transport/content-type.js';
import { MultipartStreamParser } from '../../src/transport/multipart-stream.js';
import { packFrames } from '../../src/worker/frame-pusher.js';

interface FetchJob {
  id: number;
  urls: string[];
  accept: string;
  /** 'frames': parse, keep and post frames as they come (the module's work); default bodies. */
  kind?: 'bodies' | 'frames';
}

/** A message of a 'frames' job: frames of answer `url` (index), packed; `done` on its last. */
interface FramesReply {
  id: number;
  url: number;
  frames: ArrayBuffer;
  lengths: number[];
  done: boolean;
  ok: boolean;
}

/** The worker's own copies of the frames it read, kept for its life as the module's memory would (~5 MB a trace). */
const kept: Uint8Array[] = [];

async function streamFrames(port: JobPort, job: FetchJob, index: number, url: string): Promise<void> {
  const response = await fetch(url, { headers: { Accept: job.accept } });
  const post = (ready: Uint8Array[], done: boolean, ok: boolean) => {
    const { buffer, lengths } = packFrames(ready);
    const reply: FramesReply = { id: job.id, url: index, frames: buffer, lengths, done, ok };
    port.postMessage(reply, [buffer]);
  };
  if (!response.ok || response.body === null) {
    await response.body?.cancel();
    post([], true, false);
    return;
  }
  let ready: Uint8Array[] = [];
  const parser = new MultipartStreamParser(boundaryOf(response.headers.get('content-type') ?? ''), {
    onPart: (part) => {
      const copy = part.body.slice();
      kept.push(copy);
      ready.push(copy);
    },
  });
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.push(value);
      if (ready.length > 0) {
        post(ready, false, true);
        ready = [];
      }
    }
    parser.end();
  } catch (error) {
    // A parse error: stop the download, so it does not overlap the next view's clock.
    await reader.cancel().catch(() => undefined);
    throw error;
  }
  post(ready, true, true);
}

/** Where jobs arrive and replies go: a SharedWorker's port, or a dedicated worker's own scope. */
export interface JobPort {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (message: MessageEvent<FetchJob | 'ping'>) => void): void;
}

/** Answers the jobs that arrive on `port` (fetch.worker.ts: the same work in a dedicated Worker). */
export function serveJobs(port: JobPort): void {
  port.addEventListener('message', (message: MessageEvent<FetchJob | 'ping'>) => {
    const job = message.data;
    if (job === 'ping') {
      port.postMessage('pong');
      return;
    }
    if (job.kind === 'frames') {
      job.urls.forEach((url, index) => {
        streamFrames(port, job, index, url).catch((error: unknown) =>
          port.postMessage({ id: job.id, error: String(error) }),
        );
      });
      return;
    }
    void Promise.all(
      job.urls.map(async (url) => {
        const response = await fetch(url, { headers: { Accept: job.accept } });
        const body = await response.arrayBuffer();
        return { ok: response.ok, body };
      }),
    ).then(
      (answers) =>
        port.postMessage(
          { id: job.id, answers },
          answers.map((a) => a.body),
        ),
      (error: unknown) => port.postMessage({ id: job.id, error: String(error) }),
    );
  });
}

// A module imported by fetch.worker.ts runs here too: only a SharedWorker's scope has 'onconnect'.
if ('onconnect' in self) {
  self.addEventListener('connect', (event: Event) => {
    const port = (event as MessageEvent).ports[0];
    if (port === undefined) return;
    serveJobs(port);
    port.start();
  });
}
export type { FetchJob, FramesReply };
