// The built package as an app would ship it: `npm run build` output imported by a consumer app
// that Vite bundles (app mode), served under the strict Content-Security-Policy with
// 'wasm-unsafe-eval' only; the app decodes a JPEG 2000 tile of the real Orthanc with getTile
// (the OpenJPEG chunk and its .wasm loaded as files by the module's worker).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDemoBackend } from '../../scripts/lib/demo-backend.mjs';
import { serveStatic, STRICT_CSP } from '../../scripts/serve-static.mjs';
import { launchBrowser, type Browser } from './demo-e2e-support.js';

const orthanc = inject('orthanc');
const root = resolve(import.meta.dirname, '../..');
const work = join(root, '.artifacts', `package-csp-${process.pid}`);
const lib = join(work, 'lib');
const app = join(work, 'app');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

let server: { url: string; close(): Promise<void> } | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  mkdirSync(app, { recursive: true });
  execFileSync(bin('vite'), ['build', '--outDir', lib, '--emptyOutDir', '--logLevel', 'error'], {
    cwd: root,
    stdio: 'pipe',
  });
  writeFileSync(
    join(app, 'index.html'),
    '<!doctype html><html><head><title>app</title><link rel="icon" href="data:,"><script type="module" src="./main.js"></script></head><body></body></html>\n',
  );
  writeFileSync(
    join(app, 'main.js'),
    `import { FrameCache, openSlide } from '../lib/index.js';
window.decodeFirstTile = async (seriesUrl) => {
  const slide = await openSlide(seriesUrl);
  const cache = new FrameCache({ shared: false });
  const { instance, frameNumber } = slide.levels[0].frameAt(0, 0);
  const bitmap = await cache.getTile(instance, frameNumber);
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d');
  context.drawImage(bitmap, 0, 0);
  const { data } = context.getImageData(0, 0, bitmap.width, bitmap.height);
  let sum = 0;
  for (let i = 0; i < data.length; i += 4) sum += data[i] + data[i + 1] + data[i + 2];
  await cache.close();
  return { width: bitmap.width, height: bitmap.height, mean: sum / (data.length / 4) / 3 };
};
document.title = 'ready';
`,
  );
  const config = join(work, 'vite.app.config.mjs');
  writeFileSync(
    config,
    `export default { root: ${JSON.stringify(app)}, base: './', logLevel: 'error', build: { outDir: ${JSON.stringify(join(app, 'dist'))}, emptyOutDir: true, target: 'es2022', assetsInlineLimit: 0, modulePreload: { polyfill: false } }, worker: { format: 'es' } };\n`,
  );
  execFileSync(bin('vite'), ['build', '--config', config], { cwd: root, stdio: 'pipe' });
  const backend = createDemoBackend({ target: orthanc.dicomWebUrl, serverLabel: 'package-csp test' });
  server = await serveStatic({ dir: join(app, 'dist'), backend });
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the built package under a strict CSP', () => {
  it('decodes a JPEG 2000 tile in its worker with the codec WASM loaded as a file', async () => {
    const { page } = browser!;
    const response = await page.goto(server!.url);
    expect(response?.headers()['content-security-policy']).toBe(STRICT_CSP);
    expect(STRICT_CSP).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(STRICT_CSP).not.toContain("'unsafe-eval'");
    await page.waitForFunction(() => document.title === 'ready');
    const slide = orthanc.slides.jpeg2000;
    const seriesUrl = `${new URL(server!.url).origin}/dicom-web/studies/${slide.studyInstanceUid}/series/${slide.seriesInstanceUid}`;
    const tile = await page.evaluate(
      (url) =>
        (
          window as unknown as { decodeFirstTile(u: string): Promise<{ width: number; height: number; mean: number }> }
        ).decodeFirstTile(url),
      seriesUrl,
    );
    expect(tile.width).toBe(256);
    expect(tile.height).toBe(256);
    // Stained tissue, not a black or empty bitmap.
    expect(tile.mean).toBeGreaterThan(60);
    expect(
      readdirSync(join(app, 'dist', 'assets')).some((file) => /^openjpegwasm_decode-[\w-]+\.wasm$/.test(file)),
    ).toBe(true);
    expect(browser!.messages.filter((m) => /Content.Security.Policy|Refused to/i.test(m))).toEqual([]);
    expect(browser!.errors).toEqual([]);
  });
});
