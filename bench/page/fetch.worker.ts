// The floor worker of fetch.shared-worker.ts as a dedicated Worker: the same jobs and work, in the
// page's own process (the floor of FrameCache { shared: false }).
import { serveJobs, type JobPort } from './fetch.shared-worker.js';

serveJobs(self as unknown as JobPort);
