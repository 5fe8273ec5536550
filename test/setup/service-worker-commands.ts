/**
 * Browser commands of the Chromium tests (vitest.config.ts `browser.commands`, run on the Node
 * side with Playwright's page): stop every service worker, as Chromium does after ~30 s idle,
 * and read their running status, over the DevTools protocol (ServiceWorker domain).
 */
import type { BrowserCommand } from 'vitest/node';
import type { CDPSession, Page } from 'playwright-core';

interface Version {
  versionId: string;
  scriptURL: string;
  runningStatus: string;
  status: string;
}

const sessions = new WeakMap<Page, Promise<{ cdp: CDPSession; versions: Map<string, Version> }>>();

/** One CDP session per page, with the latest state of every worker version it has reported. */
function sessionOf(page: Page) {
  let session = sessions.get(page);
  if (session === undefined) {
    session = (async () => {
      const cdp = await page.context().newCDPSession(page);
      const versions = new Map<string, Version>();
      cdp.on('ServiceWorker.workerVersionUpdated', ({ versions: updated }: { versions: Version[] }) => {
        for (const v of updated) versions.set(v.versionId, v);
      });
      await cdp.send('ServiceWorker.enable');
      return { cdp, versions };
    })();
    sessions.set(page, session);
  }
  return session;
}

export const stopServiceWorkers: BrowserCommand<[]> = async ({ page }) => {
  const { cdp } = await sessionOf(page);
  await cdp.send('ServiceWorker.stopAllWorkers');
};

/**
 * `runningStatus` ('stopped', 'starting', 'running', 'stopping') of each activated version whose
 * script URL contains `script`.
 */
export const serviceWorkerStatus: BrowserCommand<[script: string]> = async ({ page }, script) => {
  const { versions } = await sessionOf(page);
  return [...versions.values()]
    .filter((v) => v.status === 'activated' && v.scriptURL.includes(script))
    .map((v) => v.runningStatus);
};

declare module 'vitest/browser' {
  interface BrowserCommands {
    stopServiceWorkers: () => Promise<void>;
    serviceWorkerStatus: (script: string) => Promise<string[]>;
  }
}
