// CPU profiles of SharedWorkers over the DevTools protocol (docs/worker-cost.md, "Answers across
// processes"). A browser-wide trace (scripts/profile-worker.mjs) does not record a SharedWorker's
// thread: it runs in a process of its own. From a browser-level CDP session, each shared_worker
// target is attached (not flattened: Playwright's CDPSession cannot address a child session, so
// the worker's protocol messages travel inside Target.sendMessageToTarget) as soon as it is seen,
// and V8's sampling profiler started in it.

/** Sampling interval of the worker's profiler, µs (the trace's own profiler samples about as often). */
const SAMPLING_US = 100;
/** Longest wait for a SharedWorker's profiler to start, or for one protocol answer from it. */
const WAIT_MS = 10_000;

/** @template T @param {Promise<T>} promise @param {string} what @returns {Promise<T>} */
function within(promise, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`shared-worker-profiler: ${what} took over ${WAIT_MS} ms`)), WAIT_MS);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Bytes between two allocation samples with `heap` (V8's default is 32 KiB; a frame is ~9 KB). */
const HEAP_SAMPLING_BYTES = 512;

/**
 * Starts profiling every SharedWorker that exists now or starts later, until stop(). `heap`: also
 * V8's sampling heap profiler, counting what the collector has freed since (what a worker
 * allocated, not only what it still holds: the garbage its scavenges go through).
 * @param {import('playwright-core').Browser} browser
 * @param {{ heap?: boolean }} [opts]
 * @returns {Promise<{ started(): number, whenStarted(count?: number): Promise<void>, stop(): Promise<{ url: string, profile: any, heap?: any }[]> }>}
 */
export async function profileSharedWorkers(browser, opts = {}) {
  const cdp = await browser.newBrowserCDPSession();
  /** @type {Map<string, { url: string, pending: Map<number, { resolve(v: any): void, reject(e: Error): void }>, running: boolean }>} */
  const sessions = new Map();
  const attached = new Set();
  /** @type {Promise<void>[]} */
  const attaching = [];
  /** @type {(() => void)[]} */
  let onStart = [];
  let nextId = 1;

  /** @param {string} sessionId @param {string} method @param {Record<string, unknown>} [params] */
  const send = (sessionId, method, params = {}) =>
    within(
      new Promise((resolve, reject) => {
        const id = nextId++;
        sessions.get(sessionId)?.pending.set(id, { resolve, reject });
        cdp
          .send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) })
          .catch(reject);
      }),
      method,
    );
  // A worker that ended: its pending calls fail at once instead of waiting for their timeout.
  cdp.on('Target.detachedFromTarget', ({ sessionId }) => {
    const session = sessions.get(sessionId);
    if (session === undefined) return;
    session.running = false;
    for (const waiter of session.pending.values()) waiter.reject(new Error('the SharedWorker ended'));
    session.pending.clear();
  });
  cdp.on('Target.receivedMessageFromTarget', ({ sessionId, message }) => {
    const parsed = JSON.parse(message);
    const session = sessions.get(sessionId);
    const waiter = parsed.id === undefined ? undefined : session?.pending.get(parsed.id);
    if (waiter === undefined) return;
    session?.pending.delete(parsed.id);
    if (parsed.error) waiter.reject(new Error(parsed.error.message));
    else waiter.resolve(parsed.result);
  });

  /** @param {{ targetId: string, type: string, url: string }} target */
  const attach = async (target) => {
    if (target.type !== 'shared_worker' || attached.has(target.targetId)) return;
    attached.add(target.targetId);
    const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: target.targetId, flatten: false });
    sessions.set(sessionId, { url: target.url, pending: new Map(), running: false });
    await send(sessionId, 'Profiler.enable');
    await send(sessionId, 'Profiler.setSamplingInterval', { interval: SAMPLING_US });
    await send(sessionId, 'Profiler.start');
    if (opts.heap) {
      await send(sessionId, 'HeapProfiler.startSampling', {
        samplingInterval: HEAP_SAMPLING_BYTES,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
    }
    const session = sessions.get(sessionId);
    if (session) session.running = true;
    const waiting = onStart;
    onStart = [];
    for (const wake of waiting) wake();
  };
  const track = (/** @type {any} */ target) => attaching.push(attach(target).catch(() => undefined));
  cdp.on('Target.targetCreated', ({ targetInfo }) => track(targetInfo));
  await cdp.send('Target.setDiscoverTargets', { discover: true });
  const { targetInfos } = await cdp.send('Target.getTargets');
  for (const target of targetInfos) track(target);
  await Promise.all(attaching);

  const started = () => [...sessions.values()].filter((s) => s.running).length;
  return {
    started,
    /** Resolves once `count` SharedWorkers have their profiler running; rejects after WAIT_MS. */
    whenStarted(count = 1) {
      return within(
        new Promise((resolve) => {
          const check = () => {
            if (started() >= count) resolve(undefined);
            else onStart.push(check);
          };
          check();
        }),
        `starting the profiler of ${count} SharedWorker(s)`,
      );
    },
    async stop() {
      await Promise.all(attaching);
      const out = [];
      for (const [sessionId, session] of sessions) {
        if (!session.running) continue;
        try {
          const heap = opts.heap
            ? /** @type {{ profile: any }} */ (await send(sessionId, 'HeapProfiler.stopSampling')).profile
            : undefined;
          const { profile } = /** @type {{ profile: any }} */ (await send(sessionId, 'Profiler.stop'));
          out.push({ url: session.url, profile, heap });
        } catch {
          // The worker ended before the stop: its samples are gone with it.
        }
      }
      await cdp.detach().catch(() => undefined);
      return out;
    },
  };
}
