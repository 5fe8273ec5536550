// The bench page and the browser: builds bench/page with Vite (the module imported from src, its
// worker emitted as its own file, as a consumer's bundler would) into the git-ignored
// .data/bench/page, and drives Debian's Chromium headless through playwright-core with a fresh
// profile directory (removed on close).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS as SHARED_CHROMIUM_ARGS, CHROMIUM_PATH } from './lib/chromium.mjs';
import { REPO_ROOT } from './lib/deps.mjs';

export const PAGE_SRC = join(REPO_ROOT, 'bench', 'page');
export const PAGE_OUT = join(REPO_ROOT, '.data', 'bench', 'page');

const CHROMIUM_ARGS = ['--headless', ...SHARED_CHROMIUM_ARGS];

/**
 * Production build of the bench page (minified, like a viewer's bundle).
 * @param {{ tree?: string, outDir?: string }} [options]  tree: a checkout to build from (another
 *   revision's worktree, scripts/first-view-ab.mjs); outDir: where to (default .data/bench/page)
 */
export async function buildBenchPage({ tree = REPO_ROOT, outDir = PAGE_OUT } = {}) {
  const { build } = await import('vite');
  await build({
    configFile: false,
    root: join(tree, 'bench', 'page'),
    base: './',
    logLevel: 'warn',
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: false,
      reportCompressedSize: false,
      // Diagnosis only: readable names in V8's --trace-opt output (scripts/first-view-ab.mjs).
      minify: process.env.BENCH_NO_MINIFY === undefined,
    },
    worker: { format: 'es' },
  });
  return outDir;
}

/**
 * @param {{ executablePath?: string }} [options]
 */
export async function launchChromium({ executablePath = CHROMIUM_PATH } = {}) {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'dwfc-bench-chromium-'));
  // The caller handles SIGINT/SIGTERM/SIGHUP (closing Chromium first); if the process exits
  // some other way, Playwright kills Chromium and this exit handler removes the profile.
  const removeProfile = () => {
    try {
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
    } catch {
      // Nothing more to do at exit.
    }
  };
  process.once('exit', removeProfile);
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
  } catch (error) {
    removeProfile();
    throw error;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  /** @type {string[]} */
  const consoleErrors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(String(error)));
  let closed = false;
  return {
    page,
    consoleErrors,
    /** Loads (or reloads: a new document, same origin and profile) the bench page. */
    open: async (/** @type {string} */ url) => {
      await page.goto(url);
      await page.waitForFunction(() => document.title === 'bench ready', undefined, { timeout: 30_000 });
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await context.close().catch(() => undefined);
      removeProfile();
      process.off('exit', removeProfile);
    },
  };
}

/**
 * A browser for runs that each get a fresh context (no cache, no connection, no worker, no
 * storage carried from run to run), accepting the link proxy's self-signed certificate.
 * @param {{ executablePath?: string }} [options]
 */
export async function launchFreshBrowser({ executablePath = CHROMIUM_PATH } = {}) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  /** @type {string[]} */
  const consoleErrors = [];
  return {
    consoleErrors,
    /**
     * A new context and page with the bench page loaded; `open` reloads it on the same context.
     * @param {string} url
     */
    fresh: async (url) => {
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      const page = await context.newPage();
      page.on('console', (message) => {
        if (message.type() === 'error') consoleErrors.push(message.text());
      });
      page.on('pageerror', (error) => consoleErrors.push(String(error)));
      const open = async (/** @type {string} */ target) => {
        await page.goto(target);
        await page.waitForFunction(() => document.title === 'bench ready', undefined, { timeout: 60_000 });
      };
      try {
        await open(url);
      } catch (error) {
        await context.close().catch(() => undefined);
        throw error;
      }
      return { page, open, close: () => context.close().catch(() => undefined) };
    },
    close: () => browser.close().catch(() => undefined),
  };
}
