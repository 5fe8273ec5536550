// The app's service worker of the Chromium tests: two lines in an app; here the roots and the
// options come from the script URL's query (the test's proxy port is only known at run time).
import { serveFrames } from '../../../src/service-worker-entry.js';

const params = new URL(self.location.href).searchParams;
serveFrames({
  roots: JSON.parse(params.get('roots') ?? '[]') as string[],
  ...(JSON.parse(params.get('options') ?? '{}') as object),
});
