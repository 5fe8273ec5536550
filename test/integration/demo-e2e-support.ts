// Helpers of demo-e2e.test.ts: the demo server as a child process, headless Chromium with a fresh
// profile, the page's error log, canvas pixel checks and the proxy's request log.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { ProxyLogEntry } from '../../scripts/lib/proxy.mjs';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/lib/chromium.mjs';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const ARTIFACTS_DIR = join(REPO_ROOT, '.artifacts', 'demo');

export interface DemoServer {
  url: string;
  output: () => string;
  stop(): Promise<void>;
}

/** Runs `node scripts/demo-server.mjs ...args` and resolves with the URL it prints. */
export function startDemoServer(args: string[], timeoutMs = 45_000): Promise<DemoServer> {
  const child: ChildProcess = spawn(process.execPath, [join(REPO_ROOT, 'scripts', 'demo-server.mjs'), ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  return new Promise((resolveStart, rejectStart) => {
    const timer = setTimeout(() => {
      void stop();
      rejectStart(new Error(`demo-server printed no URL within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const match = /^Demo: (http\S+)$/m.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolveStart({ url: match[1], output: () => output, stop });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      rejectStart(new Error(`demo-server exited with ${code}:\n${output}`));
    });
  });
}

/** Builds the demo (as `npm run build:demo`) into `outDir`. */
export function buildDemo(outDir: string): Promise<void> {
  const vite = join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  const child = spawn(
    process.execPath,
    [vite, 'build', '--config', 'demo/vite.config.ts', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  return new Promise((resolveBuild, rejectBuild) => {
    child.once('exit', (code) =>
      code === 0 ? resolveBuild() : rejectBuild(new Error(`vite build failed (${code}):\n${output}`)),
    );
  });
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** console.error messages and uncaught errors (unhandled rejections included) of the page. */
  errors: string[];
  /** Every console message, any type. */
  messages: string[];
  /** URL of every request the browser made (pages and workers). */
  requests: string[];
  close(): Promise<void>;
}

/** Chromium with a fresh --user-data-dir (so IndexedDB starts empty) and one page. */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'dwfc-demo-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS],
    viewport: { width: 1400, height: 860 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  const messages: string[] = [];
  const requests: string[] = [];
  context.on('request', (request) => requests.push(request.url()));
  page.on('console', (message) => {
    messages.push(`${message.type()}: ${message.text()}`);
    if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  return {
    context,
    page,
    errors,
    messages,
    requests,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** What the page's `dwfcDemo.settle()` returns (CacheStats; the fields the test reads). */
export interface SettledStats {
  hits: number;
  misses: number;
  requests: number;
  spillHits: number;
  spillStoredBytes: number;
  cancelled: number;
  memoryBytes: number;
}

/** Waits until the slide is open in the viewer. */
export async function waitForSlide(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const demo = (
      window as unknown as { dwfcDemo?: { slide?: unknown; viewer: { world: { getItemCount(): number } } } }
    ).dwfcDemo;
    return demo?.slide !== undefined && demo.viewer.world.getItemCount() > 0;
  });
}

/** View still, every tile drawn, cache idle (IndexedDB writes included); the stats the panel then shows. */
export async function settle(page: Page): Promise<SettledStats> {
  return page.evaluate(() =>
    (window as unknown as { dwfcDemo: { settle(): Promise<SettledStats> } }).dwfcDemo.settle(),
  );
}

/** The raw number behind a panel value (`data-value`). */
export async function panelValue(page: Page, stat: string): Promise<number> {
  const value = await page.getAttribute(`[data-stat="${stat}"]`, 'data-value');
  return Number(value);
}

export interface PaintReport {
  /** Pixels of the image's on-screen area that were read. */
  pixels: number;
  /** Of those, pixels left transparent or showing the stage background: gaps, seams, missing tiles. */
  unpainted: number;
  meanRgb: [number, number, number];
  /** Distinct colours among every 97th pixel (a flat grey or black tile would give very few). */
  distinctColours: number;
}

/** Reads every pixel of the viewer canvas inside the image's on-screen rectangle (2 px inset). */
export async function paintReport(page: Page): Promise<PaintReport> {
  return page.evaluate(() => {
    interface Rect {
      x: number;
      y: number;
      width: number;
      height: number;
    }
    const demo = (
      window as unknown as {
        dwfcDemo: {
          viewer: {
            drawer: { canvas: HTMLCanvasElement };
            world: { getItemAt(i: number): { getBounds(current: boolean): Rect } };
            viewport: { viewportToViewerElementRectangle(rect: Rect): Rect };
          };
        };
      }
    ).dwfcDemo;
    const { viewer } = demo;
    const canvas = viewer.drawer.canvas;
    const context = canvas.getContext('2d')!;
    const rect = viewer.viewport.viewportToViewerElementRectangle(viewer.world.getItemAt(0).getBounds(true));
    const scale = canvas.width / canvas.clientWidth;
    const x0 = Math.max(0, Math.ceil(rect.x * scale) + 2);
    const y0 = Math.max(0, Math.ceil(rect.y * scale) + 2);
    const x1 = Math.min(canvas.width, Math.floor((rect.x + rect.width) * scale) - 2);
    const y1 = Math.min(canvas.height, Math.floor((rect.y + rect.height) * scale) - 2);
    const { data } = context.getImageData(x0, y0, x1 - x0, y1 - y0);
    let unpainted = 0;
    const sum = [0, 0, 0];
    const colours = new Set<number>();
    for (let i = 0; i < data.length; i += 4) {
      const r = data[i]!;
      const g = data[i + 1]!;
      const b = data[i + 2]!;
      // The stage behind the canvas is #1b1e24; the stained tissue never gets that dark.
      if (data[i + 3]! < 255 || (r < 45 && g < 45 && b < 50)) unpainted++;
      sum[0]! += r;
      sum[1]! += g;
      sum[2]! += b;
      if ((i / 4) % 97 === 0) colours.add((r << 16) | (g << 8) | b);
    }
    const pixels = data.length / 4;
    return {
      pixels,
      unpainted,
      meanRgb: sum.map((s) => Math.round(s / pixels)) as [number, number, number],
      distinctColours: colours.size,
    };
  });
}

export interface Gate {
  url: string;
  /** Requests whose path contains `match` wait (unsent) until release(). */
  hold(match: string): void;
  /** Sends every held request on and stops holding. */
  release(): void;
  held(): number;
  /** Path and Authorization header of every request that passed, in order. */
  seen: { path: string; authorization: string | undefined }[];
  stop(): Promise<void>;
}

/** A pass-through HTTP hop that can hold requests back: tiles that stay loading, on demand. */
export async function startGate(target: string): Promise<Gate> {
  const targetUrl = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let holding: string | undefined;
  const waiting: (() => void)[] = [];
  const seen: Gate['seen'] = [];
  const forward = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const upstream = http.request(
      {
        host: targetUrl.hostname,
        port: targetUrl.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: targetUrl.host },
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  };
  const server = http.createServer((req, res) => {
    seen.push({ path: req.url ?? '', authorization: req.headers.authorization });
    if (holding !== undefined && (req.url ?? '').includes(holding)) waiting.push(() => forward(req, res));
    else forward(req, res);
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hold: (match) => void (holding = match),
    release: () => {
      holding = undefined;
      for (const send of waiting.splice(0)) send();
    },
    held: () => waiting.length,
    seen,
    stop: () =>
      new Promise((resolveClose) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}

/** Requests the frame cache sends: frame lists and whole instances (not QIDO, not metadata). */
export function cacheRequests(log: readonly ProxyLogEntry[]): ProxyLogEntry[] {
  return log.filter((entry) => /\/instances\/[0-9.]+(\/frames\/[0-9,]+)?(\?|$)/.test(entry.path));
}

/** Single-frame requests (`…/frames/N`), as a per-tile viewer sends them. */
export function singleFrameRequests(log: readonly ProxyLogEntry[]): ProxyLogEntry[] {
  return log.filter((entry) => /\/frames\/[0-9]+(\?|$)/.test(entry.path));
}
