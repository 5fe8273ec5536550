// How `npm run bench` runs a measurement: one call into the bench page (bench/page/main.ts)
// bracketed by the same-origin server's request log, so requests and bytes are what the server
// really sent; peers of a scenario run round-robin (a, b, c, ... then again) after one unmeasured
// warm-up round, so load from other processes on this machine spreads over all of them.

export const FRAMES_ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=*';
export const INSTANCE_ACCEPT = 'multipart/related; type="application/dicom"; transfer-syntax=*';
/** The module's default maxConcurrentRequests: a floor replays the module's requests this wide. */
export const MODULE_CONCURRENCY = 4;

/**
 * @typedef {import('./bench-server.mjs').BenchLogEntry} BenchLogEntry
 * @typedef {{ page: import('playwright-core').Page, open(url: string): Promise<void> }} BrowserLike
 * @typedef {{ url: string, log: BenchLogEntry[], clearLog(): void }} ServerLike
 * @typedef {{ browser: BrowserLike, server: ServerLike, pageUrl: string, runs: number, quick: boolean,
 *   log: (message: string) => void, interrupted?: boolean }} Context
 * @typedef {Record<string, any>} Spec
 * @typedef {{ label: string, runs: Record<string, any>[], median: Record<string, any>,
 *   lastEntries?: BenchLogEntry[], error?: string }} PeerResult
 * @typedef {{ key: string, label: string, options?: Record<string, boolean>,
 *   spec: Spec | ((results: Record<string, PeerResult>) => Spec), fresh?: boolean, prime?: number,
 *   maxRuns?: number }} Peer
 *   fresh: reload the page before each run (a new document: the module's SharedWorker, its
 *   engine and what it learned of the server start anew); prime: unmeasured reads of the same
 *   target, each by a new cache, after the reload and before the measured one (a session that
 *   has read before: the worker-wide read-mode learner has samples, the memory is empty);
 *   maxRuns: measured runs of this peer at most (a slow peer whose ratio is not a goal's)
 */

/** @param {number[]} values */
export function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  const at = (/** @type {number} */ i) => /** @type {number} */ (sorted[i]);
  return sorted.length % 2 === 1 ? at(mid) : (at(mid - 1) + at(mid)) / 2;
}

/**
 * Median of every numeric field over the runs (nested objects too).
 * @param {Record<string, any>[]} runs
 * @returns {Record<string, any>}
 */
export function medianOf(runs) {
  /** @type {Record<string, any>} */
  const out = {};
  for (const [key, value] of Object.entries(runs[0] ?? {})) {
    if (key === 'round') continue; // which round a run was in (pairing, paired-ratio.mjs), not a measure
    if (typeof value === 'number') out[key] = median(runs.map((r) => r[key]));
    else if (value !== null && typeof value === 'object' && !Array.isArray(value))
      out[key] = medianOf(runs.map((r) => r[key] ?? {}));
  }
  return out;
}

/** Longest a single page call may take (the ~50k-frame block read is the slowest, ~1-2.5 min). */
export const PAGE_CALL_TIMEOUT_MS = 300_000;

/**
 * Calls into the bench page, failing (instead of hanging the bench) when the call does not
 * settle in time; the page is then reloaded so that nothing of the stuck call runs on.
 * @template A, R
 * @param {Context} ctx
 * @param {(arg: A) => R | Promise<R>} fn
 * @param {A} arg
 * @param {number} [timeoutMs]
 * @returns {Promise<R>}
 */
export async function callPage(ctx, fn, arg, timeoutMs = PAGE_CALL_TIMEOUT_MS) {
  if (ctx.interrupted === true) throw new Error('interrupted');
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`page call timed out after ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    return /** @type {R} */ (await Promise.race([ctx.browser.page.evaluate(/** @type {any} */ (fn), arg), timeout]));
  } catch (error) {
    await ctx.browser.open(ctx.pageUrl).catch(() => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs one page call with the request log cleared before and read after (once every answer
 * has ended, so byte counts are final).
 * @param {Context} ctx
 * @param {() => Promise<Record<string, any>>} call
 */
export async function logged(ctx, call) {
  ctx.server.clearLog();
  const result = await call();
  for (let i = 0; i < 100 && ctx.server.log.some((e) => e.endMs === 0); i++)
    await new Promise((r) => setTimeout(r, 20));
  const entries = [...ctx.server.log];
  const frameEntries = entries.filter((e) => e.path.includes('/instances/'));
  return {
    ...result,
    requests: entries.length,
    /** Median time from a frame/instance request reaching the proxy to Orthanc's answer headers. */
    ttfbMs: median(frameEntries.map((e) => e.ttfbMs)),
    /** From the first request reaching the proxy to the last answer's last byte leaving it. */
    serverSpanMs:
      entries.length === 0
        ? Number.NaN
        : Math.max(...entries.map((e) => e.endMs)) - Math.min(...entries.map((e) => e.startMs)),
    /** Requests for frames or instances (metadata and other requests left out). */
    frameRequests: frameEntries.length,
    serverBytes: entries.reduce((sum, e) => sum + e.bytes, 0),
    gzipped: entries.filter((e) => e.encoding === 'gzip').length,
    failed: entries.filter((e) => e.status !== 200).length,
    entries,
  };
}

/**
 * @param {Context} ctx
 * @param {Spec} spec
 * @param {Record<string, any>} target
 * @param {Record<string, boolean>} [options]
 */
export function readOnce(ctx, spec, target, options = {}) {
  return logged(ctx, () => callPage(ctx, ([s, t, o]) => globalThis.bench.readLevel(s, t, o), [spec, target, options]));
}

/**
 * The floor of a module run: the same requests (URL and Accept), fetched raw, as wide as the
 * module sends them, all queued at once. `limit` keeps only the first requests (a sample of a
 * very long run); `framesCarried` says how many frames the kept requests carry.
 * @param {Context} ctx
 * @param {BenchLogEntry[]} entries
 * @param {number} frameCount  frames of the instance (what a whole-instance request carries)
 * @param {number} [limit]
 */
export function replaySpec(ctx, entries, frameCount, limit = Number.POSITIVE_INFINITY) {
  const kept = entries.filter((e) => e.path.includes('/instances/')).slice(0, limit);
  if (kept.length === 0) throw new Error('no module requests to replay (the module run failed?)');
  const requests = kept.map((e) => ({
    url: `${ctx.server.url}${e.path}`,
    accept: e.accept || (e.path.includes('/frames/') ? FRAMES_ACCEPT : INSTANCE_ACCEPT),
  }));
  const framesCarried = kept.reduce((sum, e) => {
    const list = /\/frames\/([\d,]+)/.exec(e.path)?.[1];
    return sum + (list === undefined ? frameCount : list.split(',').length);
  }, 0);
  return {
    kind: 'raw',
    concurrency: MODULE_CONCURRENCY,
    requests,
    framesCarried,
    sampled: kept.length < entries.length,
  };
}

/** @param {Record<string, any>} run */
function withoutEntries(run) {
  const { entries, ...rest } = run;
  void entries;
  return rest;
}

/**
 * A small seeded generator of numbers in [0, 1) (mulberry32): the bench's shuffles and bootstrap
 * intervals are functions of their seed alone, so a rerun gives the same order and interval.
 * @param {number} seed
 * @returns {() => number}
 */
export function mulberry32(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The peers in the order of one round: as listed in the warm-up round (a floor that replays
 * another peer's requests comes after it), then shuffled anew each round by a fixed seed, so no
 * peer always runs right after the same one (a slow peer's aftermath, Orthanc's or Chromium's,
 * lands on every peer alike) and a rerun shuffles the same way.
 * @template T
 * @param {T[]} peers
 * @param {number} round
 * @returns {T[]}
 */
export function roundOrder(peers, round) {
  const order = [...peers];
  if (round === 0) return order;
  const random = mulberry32(0x9e3779b9 * round);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [/** @type {T} */ (order[j]), /** @type {T} */ (order[i])];
  }
  return order;
}

/**
 * Measures the peers round-robin: one warm-up round (unless `warmup` is false), then `runs`
 * rounds, each in its own shuffled order (roundOrder). A peer whose spec is a function gets it
 * from the results so far (a floor replays the requests its module peer sent in its latest
 * run). A peer with `maxRuns` sits out once it has that many measured runs. A peer that fails
 * is recorded with its error and skipped from then on; the others go on.
 * @param {Context} ctx
 * @param {Peer[]} peers
 * @param {Record<string, any>} target
 * @param {{ runs: number, warmup?: boolean }} plan
 * @returns {Promise<Record<string, PeerResult>>}
 */
export async function roundRobin(ctx, peers, target, { runs, warmup = true }) {
  /** @type {Record<string, PeerResult>} */
  const results = {};
  for (const peer of peers) results[peer.key] = { label: peer.label, runs: [], median: {} };
  const rounds = runs + (warmup ? 1 : 0);
  for (let round = 0; round < rounds; round++) {
    for (const peer of roundOrder(peers, round)) {
      const record = /** @type {PeerResult} */ (results[peer.key]);
      const measured = round - (warmup ? 1 : 0);
      if (record.error !== undefined) continue;
      if (peer.maxRuns !== undefined && record.runs.length >= peer.maxRuns) continue;
      try {
        const spec = typeof peer.spec === 'function' ? peer.spec(results) : peer.spec;
        if (ctx.interrupted === true) throw new Error('interrupted');
        if (peer.fresh === true || (peer.prime ?? 0) > 0) await ctx.browser.open(ctx.pageUrl);
        for (let i = 0; i < (peer.prime ?? 0); i++) await readOnce(ctx, spec, target);
        const run = await readOnce(ctx, spec, target, peer.options);
        record.lastEntries = run.entries;
        if (typeof spec.framesCarried === 'number') run.framesCarried = spec.framesCarried;
        // The round, so a ratio of two peers can be taken round by round (scripts/lib/paired-ratio.mjs).
        if (measured >= 0) record.runs.push({ ...withoutEntries(run), round: measured });
        if (run.entries.length === 0 && spec.kind === 'module')
          ctx.log(`  note: ${peer.key} sent no request (not a cold read?)`);
      } catch (error) {
        if (ctx.interrupted === true) throw error;
        record.error = String(error instanceof Error ? error.message : error).split('\n')[0] ?? 'failed';
        ctx.log(`  ${peer.key} failed: ${record.error}`);
      }
    }
  }
  for (const record of Object.values(results)) {
    record.median = medianOf(record.runs);
    delete record.lastEntries;
  }
  return results;
}

/**
 * A spec built from the requests another peer (listed earlier) sent in its latest run. With
 * `leadAlone`, the first request (the module's visible one) is read to its end before the rest
 * go out (up to the replay's concurrency at once): what the module's order of requests costs
 * without the module. Not a strict floor: the module starts its background requests at the
 * visible answer's last frame, a little before the body's end that this replay waits for.
 * @param {Context} ctx
 * @param {string} key
 * @param {number} frameCount
 * @param {number} [limit]
 * @param {{ leadAlone?: boolean }} [options]
 */
export function floorOf(ctx, key, frameCount, limit, { leadAlone = false } = {}) {
  return (/** @type {Record<string, PeerResult>} */ results) => ({
    ...replaySpec(ctx, results[key]?.lastEntries ?? [], frameCount, limit),
    ...(leadAlone ? { leadAlone } : {}),
  });
}
