/**
 * The dedicated worker: one WorkerHost exposed with Comlink. The engines it builds use the
 * real fetch, clock, timers and IndexedDB (src/platform/platform-defaults.ts). It holds a Web Lock for its whole
 * life so that the page can tell when the browser killed it (a dead worker may fire no event).
 */
import { expose } from 'comlink';
import { WorkerHost } from './worker-host.js';
import { warmUp } from './warm-up.js';
import { holdLock } from './locks.js';

expose(new WorkerHost({ holdLock }));
// The frame path's code runs once before the first view needs it (warm-up.ts).
void warmUp();
