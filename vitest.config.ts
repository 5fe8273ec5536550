import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './scripts/lib/chromium.mjs';
import { serviceWorkerStatus, stopServiceWorkers } from './test/setup/service-worker-commands.js';

export default defineConfig({
  // The WASM codecs are CommonJS, imported on first use: pre-bundle them up front, or Vite
  // re-optimises and reloads the browser tests midway.
  optimizeDeps: {
    include: [
      '@cornerstonejs/codec-openjpeg/decodewasmjs',
      '@cornerstonejs/codec-openjph/wasmjs',
      '@cornerstonejs/codec-charls/decodewasmjs',
    ],
  },
  test: {
    // One Orthanc (+ recording proxy) for the projects that talk to it, started once.
    globalSetup: ['test/setup/orthanc.global.ts'],
    projects: [
      {
        test: {
          name: 'node',
          sequence: { groupOrder: 0 },
          environment: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/browser/**', 'test/integration/**'],
        },
      },
      {
        test: {
          name: 'integration',
          // The projects share one Orthanc and one fault proxy (its fault state is global):
          // they run one after the other.
          sequence: { groupOrder: 1 },
          environment: 'node',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'browser',
          sequence: { groupOrder: 2 },
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            commands: { stopServiceWorkers, serviceWorkerStatus },
            instances: [{ browser: 'chromium' }],
            provider: playwright({
              launchOptions: { executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] },
            }),
          },
        },
      },
    ],
  },
});
