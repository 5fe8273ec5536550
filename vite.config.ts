import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// Library build: dist/index.js (the facade and the barrel), dist/core.js (the engine without a
// worker), dist/service-worker.js (serveFrames, for the app's service worker) and the worker as
// its own file, referenced relatively (base './'), so pages with
// `worker-src 'self'` load it (no inline data:/blob: worker). Declarations come from tsc after.
export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
    lib: {
      entry: {
        index: resolve(import.meta.dirname, 'src/index.ts'),
        core: resolve(import.meta.dirname, 'src/core-entry.ts'),
        'service-worker': resolve(import.meta.dirname, 'src/service-worker-entry.ts'),
      },
      formats: ['es'],
    },
    rolldownOptions: {
      external: ['comlink', 'idb-keyval', 'fflate'],
    },
  },
  worker: {
    format: 'es',
    rolldownOptions: {
      output: { entryFileNames: '[name].js' },
    },
  },
});
