// The bench's service worker: what an app's sw.js holds (docs/service-worker.md).
import { serveFrames } from '../../src/service-worker-entry.js';

serveFrames({ roots: ['/dicom-web'] });
