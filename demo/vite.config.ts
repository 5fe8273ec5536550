import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// The demo page: `vite` (dev, through scripts/demo-server.mjs, which adds the /dicom-web proxy and
// /demo-config.json) and `vite build --config demo/vite.config.ts` (a static site in dist-demo/).
// It imports the library from ../src, so the demo runs the source and the real worker file.
const root = import.meta.dirname;

export default defineConfig({
  root,
  // Relative URLs: the built demo works from any path, and the worker file is found next to the
  // entry (docs/server-and-browser-facts.md, "Shipping the worker": without it the worker URL points at the site root).
  base: './',
  cacheDir: resolve(root, '../node_modules/.vite-demo'),
  publicDir: resolve(root, 'public'),
  clearScreen: false,
  build: {
    outDir: resolve(root, '../dist-demo'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // Chromium, Firefox and Safari all support modulepreload; the polyfill is not needed.
    modulePreload: { polyfill: false },
    // Keep every asset a file: a strict CSP page has no use for data: scripts or styles.
    assetsInlineLimit: 0,
  },
  worker: {
    format: 'es',
  },
  optimizeDeps: {
    // Found up front, so the dev server never reloads the page to add a late-discovered dependency.
    include: [
      'openseadragon',
      'comlink',
      'idb-keyval',
      'fflate',
      '@cornerstonejs/codec-openjpeg/decodewasmjs',
      '@cornerstonejs/codec-openjph/wasmjs',
      '@cornerstonejs/codec-charls/decodewasmjs',
    ],
  },
});
