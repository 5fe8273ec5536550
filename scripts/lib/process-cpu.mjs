// CPU time per process kind, and per thread name inside Chromium's renderers, from Linux's
// /proc/<pid>/task/<tid>/schedstat (nanoseconds on a CPU, every thread; not a sampling profile).
// scripts/first-view-ab.mjs prints it per run: on this 2-core machine a read's wall clock follows
// the CPU that every process spends during it (docs/worker-cost.md, "The cold read's extra CPU").
import { readdirSync, readFileSync } from 'node:fs';

/**
 * What a process is: 'orthanc', Chromium's 'browser', 'network', 'gpu-process', 'utility' or
 * 'zygote', a renderer ('renderer'), or undefined for anything else.
 * @param {string} cmdline NUL-separated
 */
function kindOf(cmdline) {
  const argv0 = cmdline.split('\0')[0] ?? '';
  if (/orthanc/i.test(argv0)) return 'orthanc';
  if (!/chrom/i.test(argv0)) return undefined;
  const type = /--type=([a-z-]+)/.exec(cmdline)?.[1];
  if (type === undefined) return 'browser';
  if (type === 'utility') return cmdline.includes('network.mojom') ? 'network' : 'utility';
  return type;
}

/** @param {string} path */
function read(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the thread or process ended meanwhile
  }
}

/**
 * CPU nanoseconds so far of every thread of Orthanc and Chromium, keyed "pid/tid", with the
 * group it counts in: the process kind, or for a renderer "renderer: <thread name>" (Chromium
 * names them: the main thread "chromium"/"CrRendererMain", "SharedWorker thread",
 * "DedicatedWorker thread", "ThreadPoolForeg..." where V8 compiles and collects garbage), or
 * "worker renderer: <thread name>" for the renderer that hosts a SharedWorker.
 * @returns {Map<string, { group: string, ns: number }>}
 */
export function cpuSnapshot() {
  /** @type {Map<string, { group: string, ns: number }>} */
  const out = new Map();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = read(`/proc/${pid}/cmdline`);
    const kind = cmdline === undefined ? undefined : kindOf(cmdline);
    if (kind === undefined) continue;
    let tids;
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    const names = new Map(
      kind === 'renderer' ? tids.map((tid) => [tid, (read(`/proc/${pid}/task/${tid}/comm`) ?? '').trim()]) : [],
    );
    // A SharedWorker runs in a renderer of its own: its threads (V8's compile pool included) are
    // told apart from the page's renderer's.
    const renderer = [...names.values()].some((name) => name.startsWith('SharedWorker'))
      ? 'worker renderer'
      : 'renderer';
    for (const tid of tids) {
      const schedstat = read(`/proc/${pid}/task/${tid}/schedstat`);
      if (schedstat === undefined) continue;
      const name = names.get(tid) ?? '';
      const group = kind === 'renderer' ? `${renderer}: ${name.replace(/[0-9]+$/, '')}` : kind;
      out.set(`${pid}/${tid}`, { group, ns: Number(schedstat.split(' ')[0]) });
    }
  }
  return out;
}

/**
 * Milliseconds of CPU per group between two snapshots (threads born in between count from 0).
 * @param {Map<string, { group: string, ns: number }>} before
 * @param {Map<string, { group: string, ns: number }>} after
 * @returns {Record<string, number>}
 */
export function cpuDelta(before, after) {
  /** @type {Record<string, number>} */
  const ms = {};
  for (const [key, { group, ns }] of after) ms[group] = (ms[group] ?? 0) + (ns - (before.get(key)?.ns ?? 0)) / 1e6;
  return ms;
}
