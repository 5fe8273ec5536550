// The published shape: `npm run build` output imports in Node 20 (`./core` without a browser,
// `.` without touching a browser global), ships declarations, and emits each worker as its own
// file referenced relatively (no inline data:/blob: worker, so `worker-src 'self'` works).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const out = join(root, '.artifacts', `build-test-${process.pid}`);
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

beforeAll(() => {
  execFileSync(bin('vite'), ['build', '--outDir', out, '--emptyOutDir', '--logLevel', 'error'], {
    cwd: root,
    stdio: 'pipe',
  });
  execFileSync(bin('tsc'), ['-p', 'tsconfig.build.json', '--outDir', out], { cwd: root, stdio: 'pipe' });
}, 120_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('npm run build', () => {
  it('emits the entries, both workers as their own files, and declarations', () => {
    for (const file of [
      'index.js',
      'core.js',
      'service-worker.js',
      'frame-cache.worker.js',
      'frame-cache.shared-worker.js',
      'index.d.ts',
      'core-entry.d.ts',
      'service-worker-entry.d.ts',
    ]) {
      expect(existsSync(join(out, file)), file).toBe(true);
    }
    const index = readFileSync(join(out, 'index.js'), 'utf8');
    expect(index).toContain('new URL("frame-cache.worker.js", import.meta.url)');
    expect(index).toContain('new URL("frame-cache.shared-worker.js", import.meta.url)');
    expect(index).not.toMatch(/(data|blob):[^"']*worker/i);
  });

  it('the IndexedDB tier is a chunk of its own, loaded only when spill is configured', () => {
    // An entry's code with the chunks it imports statically (entries share chunks).
    const withStaticImports = (file: string, seen = new Set<string>()): string => {
      if (seen.has(file)) return '';
      seen.add(file);
      const code = readFileSync(join(out, file), 'utf8');
      const local = [
        ...code.matchAll(/(?:^|[;\n])\s*(?:import|export)\s*(?:[^'"`;]*?\s*from\s*)?["'`]\.\/([^"'`]+\.js)["'`]/g),
      ].map((m) => m[1]!);
      return [code, ...local.map((f) => withStaticImports(f, seen))].join('\n');
    };
    // The workers are one self-contained file each (an app's bundler copies them verbatim), so
    // the tier is inside them; it is a chunk of its own for the entries an app imports.
    for (const entry of ['core.js', 'service-worker.js']) {
      const code = withStaticImports(entry);
      expect(code, entry).not.toMatch(/from\s*["']idb-keyval["']/);
      expect(code, entry).not.toContain('createObjectStore');
      const chunk = /import\(\s*["'`](\.\/[^"'`]*idb-spill-store[^"'`]*\.js)["'`]\s*\)/.exec(code)?.[1];
      expect(chunk, entry).toBeDefined();
      expect(readFileSync(join(out, chunk!), 'utf8'), entry).toContain('createObjectStore');
    }
  });

  it('declarations: internals stripped, and a consumer type-checks against them with skipLibCheck off', () => {
    const engineTypes = readFileSync(join(out, 'core', 'engine.d.ts'), 'utf8');
    for (const internal of ['importFrames', 'exportFrames', 'prefetchFrames', 'onAdmission', 'TALLY'])
      expect(engineTypes).not.toContain(internal);
    const consumer = join(out, 'consumer.ts');
    writeFileSync(
      consumer,
      [
        "import { FrameCache, openSlide, type CacheStats, type FrameCacheApi } from './index.js';",
        "import { FrameCacheEngine } from './core-entry.js';",
        'export const api: FrameCacheApi<FrameCache> = new FrameCache({ hotBytes: 0 });',
        'export const stats: Promise<CacheStats> = new FrameCacheEngine({}).stats();',
        'export const open = openSlide;',
      ].join('\n'),
    );
    execFileSync(
      bin('tsc'),
      [
        '--noEmit',
        '--strict',
        '--skipLibCheck',
        'false',
        '--target',
        'es2022',
        '--module',
        'esnext',
        '--moduleResolution',
        'bundler',
        '--lib',
        'es2023,dom,dom.iterable',
        '--types',
        'node',
        consumer,
      ],
      { cwd: root, stdio: 'pipe' },
    );
  }, 120_000);

  it('emits each codec WASM as its own file, located from the page entry; each worker one self-contained file (docs/decoding.md)', () => {
    const index = readFileSync(join(out, 'index.js'), 'utf8');
    for (const name of ['openjpegwasm_decode', 'openjphjs', 'charlswasm_decode']) {
      // "\0asm": the WebAssembly magic number the files start with.
      expect([...readFileSync(join(out, `${name}.wasm`)).subarray(0, 4)]).toEqual([0, 0x61, 0x73, 0x6d]);
      // From the page's entry: an app's bundler copies the file and rewrites this URL.
      expect(index).toContain(`new URL("${name}.wasm", import.meta.url)`);
    }
    for (const worker of ['frame-cache.worker.js', 'frame-cache.shared-worker.js']) {
      // An app's bundler copies a worker verbatim: nothing it imports relatively would be there.
      const text = readFileSync(join(out, worker), 'utf8');
      expect(text, worker).not.toMatch(/import\(\s*[`'"]\.\.?\//);
      expect(text, worker).not.toMatch(/\bimport\s*[^(]*from\s*[`'"]\.\.?\//);
    }
    const scripts = readdirSync(out).filter((f) => f.endsWith('.js'));
    for (const file of scripts) {
      const text = readFileSync(join(out, file), 'utf8');
      expect(text.includes('AGFzbQ'), `${file} holds base64 WASM`).toBe(false);
      expect(/\beval\(|new Function\(/.test(text), `${file} uses eval`).toBe(false);
    }
  });

  it('emits the ./openseadragon entry with OpenSeadragon left to the app (a peer dependency)', () => {
    expect(existsSync(join(out, 'openseadragon-entry.d.ts'))).toBe(true);
    const entry = readFileSync(join(out, 'openseadragon.js'), 'utf8');
    expect(entry).toMatch(/from "openseadragon"/);
    expect(entry).not.toContain('OpenSeadragon.version');
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
      peerDependencies: Record<string, string>;
    };
    expect(pkg.exports['./openseadragon']).toEqual({
      types: './dist/openseadragon-entry.d.ts',
      import: './dist/openseadragon.js',
    });
    expect(Object.keys(pkg.peerDependencies)).toEqual(['openseadragon']);
  });

  it('./core imports in Node 20 and its engine works without a browser', async () => {
    const core = (await import(pathToFileURL(join(out, 'core.js')).href)) as typeof import('../../src/core-entry.js');
    const engine = new core.FrameCacheEngine({});
    expect((await engine.stats()).memoryLimitBytes).toBe(256 * 1024 * 1024);
    await expect(engine.getFrame({ url: 'relative', frameCount: 1 }, 1)).rejects.toBeInstanceOf(core.FrameCacheError);
    await engine.close();
  });

  it('./service-worker imports in Node 20 without touching a service worker global', async () => {
    const entry = (await import(
      pathToFileURL(join(out, 'service-worker.js')).href
    )) as typeof import('../../src/service-worker-entry.js');
    expect(typeof entry.serveFrames).toBe('function');
    expect(() => entry.checkServeFramesOptions({ roots: [] }, 'https://app.example/sw.js')).toThrow(
      entry.FrameCacheError,
    );
  });

  it('. imports in Node 20 without touching a browser global', async () => {
    const index = (await import(pathToFileURL(join(out, 'index.js')).href)) as typeof import('../../src/index.js');
    expect(typeof index.FrameCache).toBe('function');
    expect(typeof index.openSlide).toBe('function');
    expect(
      index.parseMultipartRelated('multipart/related; boundary=b', new TextEncoder().encode('--b\r\n\r\nx\r\n--b--')),
    ).toHaveLength(1);
  });
});
