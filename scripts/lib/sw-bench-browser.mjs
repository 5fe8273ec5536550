// Chromium for the Service Worker benches (`npm run bench:sw`): a fresh persistent profile per
// run (no HTTP cache, service worker, connection or storage carried over), which accepts the
// link proxy's self-signed certificate (scripts/lib/link-proxy.mjs) by its key. Service workers
// refuse an origin with certificate errors even where `ignoreHTTPSErrors` lets pages load, so
// the proxy's key is trusted with --ignore-certificate-errors-spki-list (honoured with a
// user-data-dir, which a persistent profile is), and nothing else is.
import { X509Certificate, createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.mjs';

/** The base64 SHA-256 of a certificate's SubjectPublicKeyInfo, as Chromium's SPKI list takes it. */
export function spkiHash(/** @type {{ cert: Buffer }} */ certificate) {
  const der = new X509Certificate(certificate.cert).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

/**
 * Runs `fn` in a fresh Chromium profile and removes it afterwards.
 * @template T
 * @param {{ spki: string, viewport?: { width: number, height: number } }} options
 * @param {(context: import('playwright-core').BrowserContext, page: import('playwright-core').Page) => Promise<T>} fn
 * @returns {Promise<T>}
 */
export async function withFreshProfile({ spki, viewport }, fn) {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'dwfc-bench-sw-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--headless', ...CHROMIUM_ARGS, `--ignore-certificate-errors-spki-list=${spki}`],
    ...(viewport === undefined ? {} : { viewport }),
  });
  try {
    return await fn(context, context.pages()[0] ?? (await context.newPage()));
  } finally {
    await context.close().catch(() => undefined);
    rmSync(profile, { recursive: true, force: true });
  }
}
