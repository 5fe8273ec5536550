import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

/**
 * Library mode inlines every asset as base64 (it ignores assetsInlineLimit): the codecs' .wasm
 * imported with `?url` would become data: URLs inside the JS. This emits each as its own file
 * and exports its URL relative to the importing chunk (base './'), so the package loads them
 * under a CSP with 'wasm-unsafe-eval' and no data: (docs/decoding.md).
 */
function wasmAsFile(): Plugin {
  const prefix = '\0wasm-file:';
  return {
    name: 'dwfc-wasm-as-file',
    enforce: 'pre',
    apply: 'build',
    async resolveId(source, importer) {
      if (!source.endsWith('?url')) return null;
      const resolved = await this.resolve(source.slice(0, -'?url'.length), importer, { skipSelf: true });
      return resolved?.id.endsWith('.wasm') ? `${prefix}${resolved.id}` : null;
    },
    load(id) {
      if (!id.startsWith(prefix)) return null;
      const file = id.slice(prefix.length);
      const ref = this.emitFile({ type: 'asset', name: basename(file), source: readFileSync(file) });
      return `export default import.meta.ROLLUP_FILE_URL_${ref};`;
    },
  };
}

// Library build: dist/index.js (the facade and the barrel), dist/core.js (the engine without a
// worker), dist/service-worker.js (serveFrames, for the app's service worker), dist/openseadragon.js
// (the tile source) and the worker as its own file, referenced relatively (base './'), so pages
// with `worker-src 'self'` load it (no inline data:/blob: worker). Declarations come from tsc after.
export default defineConfig({
  base: './',
  plugins: [wasmAsFile()],
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
        openseadragon: resolve(import.meta.dirname, 'src/openseadragon-entry.ts'),
      },
      formats: ['es'],
    },
    rolldownOptions: {
      // OpenSeadragon is a peer dependency: the app's copy, never bundled.
      external: ['comlink', 'idb-keyval', 'fflate', 'openseadragon'],
    },
  },
  worker: {
    format: 'es',
    plugins: () => [wasmAsFile()],
    rolldownOptions: {
      // One file per worker: an app's bundler copies a worker file verbatim, so a chunk it
      // imported relatively would be missing there (the codecs' glue is ~30 kB each; their
      // WASM stays separate files, located by the page: src/decode/codec-wasm-urls.ts).
      output: { entryFileNames: '[name].js', codeSplitting: false },
    },
  },
});
