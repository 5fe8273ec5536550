/**
 * The shared worker: one engine per distinct settings for every tab of the origin (one memory
 * LRU, one request stream). Each tab's connection gets its own WorkerHost over a shared
 * registry; a tab that goes away without closing is noticed through the lock it holds.
 */
import { expose } from 'comlink';
import { SharedRegistry } from './engine-registry.js';
import { WorkerHost } from './worker-host.js';
import { warmUp } from './warm-up.js';
import { holdLock, watchLock } from './locks.js';

const registry = new SharedRegistry();
// The frame path's code runs once before the first view needs it (warm-up.ts).
void warmUp({ packAnswers: true });

self.addEventListener('connect', (event) => {
  const port = (event as MessageEvent).ports[0]!;
  expose(new WorkerHost({ holdLock, watchLock, registry, packAnswers: true }), port);
});
