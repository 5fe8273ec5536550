/**
 * Runs the frame path once, on made-up frames, when a worker starts (docs/worker-cost.md, "A cold
 * worker"). A fresh worker runs every function of the engine, the transport and the multipart
 * parser for the first time on the user's first view: measured on loopback, the first getFrame
 * of a view took 7-8 ms in the worker and each further request of that view 1.5-5 ms to leave,
 * where the same path warm takes well under 0.1 ms. Doing it here moves that cost to worker
 * start-up, which the page pays while it builds its viewer.
 *
 * It goes through the worker's own layers, as a tab's calls do: a WorkerHost of its own, its
 * frame channel on a MessageChannel inside the worker, the call handling, the answers' outbox
 * (packed, as a SharedWorker's, with `packAnswers`) and the push. Warming the engine alone left
 * those to run for the first time on the first view (docs/worker-cost.md, "The warm-up through
 * the worker's layers").
 *
 * Nothing leaves the worker: the source answers from memory (a `fetch` that never touches the
 * network), the engine has learners of its own (the worker's learners, which `stats().links`
 * shows, see nothing), and it is closed at the end. A failure is swallowed: it costs only speed.
 */
import { LinkLearner } from '../core/link-learner.js';
import { ModeLearner } from '../core/mode-learner.js';
import type { FetchLike } from '../core/ports.js';
import { FrameCacheEngine } from '../platform/frame-cache-engine.js';
import { concatBytes } from '../shared/bytes.js';
import { callOf, resultOf } from '../shared/frame-wire.js';
import type { FrameChannelDown } from '../shared/protocol.js';
import { WORKER_PLATFORM, type EngineRegistry } from './engine-registry.js';
import { WorkerHost } from './worker-host.js';

const BOUNDARY = 'warm-up';
const FRAME_COUNT = 64;
const INSTANCE_URL = 'https://warm-up.invalid/dicom-web/studies/1/series/2/instances/3';
const FRAME_BYTES = 512;
const ENGINE_ID = 1;
/** Longest wait for the warm-up's own answers: it never waits on the network, so only a bug waits this long. */
const WAIT_MS = 5000;

/** An answer as a DICOMweb server gives it: one part per frame of the URL's list, in order. */
function multipartAnswer(frames: number[]): Uint8Array<ArrayBuffer> {
  const encoder = new TextEncoder();
  const pieces: Uint8Array[] = [];
  for (const n of frames) {
    pieces.push(
      encoder.encode(
        `--${BOUNDARY}\r\nContent-Type: application/octet-stream; transfer-syntax=1.2.840.10008.1.2.4.50\r\n` +
          `Content-Location: ${INSTANCE_URL}/frames/${n}\r\n\r\n`,
      ),
      new Uint8Array(FRAME_BYTES).fill(n & 0xff),
      encoder.encode('\r\n'),
    );
  }
  pieces.push(encoder.encode(`--${BOUNDARY}--\r\n`));
  // Several pieces: a new buffer of its own (concatBytes returns the piece itself only for one).
  return concatBytes(pieces) as Uint8Array<ArrayBuffer>;
}

const fetchFromMemory: FetchLike = async (url) => {
  const list = String(url).split('/frames/')[1] ?? '';
  const frames = list.split(',').map(Number);
  return new Response(multipartAnswer(frames), {
    status: 200,
    headers: { 'Content-Type': `multipart/related; type="application/octet-stream"; boundary=${BOUNDARY}` },
  }) as unknown as Awaited<ReturnType<FetchLike>>;
};

/** The warm-up's engines: the memory fetch, learners of their own, the worker's platform. */
const warmUpRegistry: EngineRegistry = {
  acquire: (request, callbacks) => {
    const engine = new FrameCacheEngine(
      { ...request.options, fetch: fetchFromMemory, maxBytes: 4 * FRAME_COUNT * FRAME_BYTES },
      {
        ...WORKER_PLATFORM,
        modeLearner: () => new ModeLearner(),
        linkLearner: () => new LinkLearner(),
      },
    );
    return {
      engine,
      tally: undefined,
      callbacks,
      resetStats: () => engine.resetStats(),
      release: () => engine.close(),
    };
  },
};

/** The tab's end of the warm-up's frame channel: frame calls out, the frames of their answers counted back. */
function tabEnd(port: MessagePort) {
  const answered = new Map<number, boolean>();
  let pushedFrames = 0;
  let changed: () => void = () => undefined;
  port.addEventListener('message', (event) => {
    const data = (event as MessageEvent<FrameChannelDown>).data;
    if (!Array.isArray(data) && 'push' in data) pushedFrames += data.packet.frames.length;
    else {
      const answers = Array.isArray(data) ? data : data.answers;
      // An answer with a value carries frames (bytes, a slice of the packed buffer, or packed frames).
      for (const answer of answers) {
        const result = resultOf(answer);
        answered.set(answer[0], result.ok && result.value !== undefined);
      }
    }
    changed();
  });
  port.start();
  const until = (done: () => boolean): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('warm-up: no answer')), WAIT_MS);
      changed = () => {
        if (!done()) return;
        clearTimeout(timer);
        resolve();
      };
      changed();
    });
  let nextId = 1;
  const instance = { url: INSTANCE_URL, frameCount: FRAME_COUNT };
  /** One message of calls (as a tab sends a view's), resolved with how many answers carried frames. */
  const ask = async (calls: (number | number[])[]): Promise<number> => {
    const ids = calls.map(() => nextId++);
    port.postMessage(
      calls.map((frames, i) => callOf(ids[i]!, ENGINE_ID, instance, frames, { priority: 'visible', pushEpoch: 0 })),
    );
    await until(() => ids.every((id) => answered.has(id)));
    return ids.filter((id) => answered.get(id) === true).length;
  };
  return { ask, until, pushed: () => pushedFrames };
}

/**
 * Resolves when done; never rejects. Resolves to the calls answered with frames (0 when
 * something failed). `packAnswers`: as the SharedWorker's host (WorkerHostPorts.packAnswers).
 */
export async function warmUp(opts: { packAnswers?: boolean } = {}): Promise<number> {
  const host = new WorkerHost({ registry: warmUpRegistry, packAnswers: opts.packAnswers === true });
  const { port1, port2 } = new MessageChannel();
  try {
    host.openFrameChannel(port1);
    const created = await host.create(
      { engineId: ENGINE_ID, options: {}, cacheInstanceUid: 'warm-up', acceptsPush: true },
      undefined,
    );
    if (!created.ok) return 0;
    const tab = tabEnd(port2);
    // A view's visible misses in one message (one visible request, the aligned chunk behind it),
    // the chunk's frames pushed as they are admitted, then hits and a batch call, as a viewer's
    // first screens make them.
    let read = await tab.ask([1, 2, 3, 4]);
    await host.waitForLoads(ENGINE_ID, INSTANCE_URL, { timeoutMs: WAIT_MS });
    await tab.until(() => tab.pushed() > 0);
    read += await tab.ask([5, 6, 7, 8]);
    read += await tab.ask([[9, 10, 11, 12]]);
    return read;
  } catch {
    return 0;
  } finally {
    await host.close(ENGINE_ID).catch(() => undefined);
    port1.close();
    port2.close();
  }
}
