// The real worker entry behind an IndexedDB that fails as the worker's `name` says
// (faulty-idb-patch.ts). Module evaluation order puts the patch first.
import './faulty-idb-patch.js';
import '../../../src/worker/frame-cache.worker.js';
