// Two tabs on one IndexedDB tier, in Chromium: the test page and a same-origin iframe, each with
// its own FrameCache in a dedicated worker (shared: false), so two IdbSpillStores on one real
// database, told of each other's writes and clears by the real BroadcastChannel (the unit tests
// in test/spill use fake-indexeddb and a synchronous stand-in). Frames a tab serves from the
// tier are Orthanc's; the proxy log shows which reads needed no request; the bytes stored are
// read from the database itself.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FrameCache } from '../../src/page/frame-cache.js';
import { dumpDatabase, resetProxy, setFault } from './helpers.js';
import { instanceOf, proxyLog, referenceFrames, sameBytes } from './faults-helpers.js';

interface TabApi {
  open(options: object): string;
  getFrames(url: string, frameCount: number, numbers: number[]): Promise<(number[] | undefined)[]>;
  waitForLoads(): Promise<number>;
  clear(spill: boolean): Promise<void>;
  close(): Promise<void>;
  stats(): Promise<{ requests: number; spillHits: number; spillStoredBytes: number; spillErrors: number }>;
}

async function openTab(): Promise<TabApi> {
  const frame = document.createElement('iframe');
  frame.src = new URL('./fixtures/tab.html', import.meta.url).href;
  const ready = new Promise<void>((resolve, reject) => {
    frame.addEventListener('load', () => {
      const win = frame.contentWindow as (Window & { tab?: TabApi }) | null;
      if (win?.tab) resolve();
      else win?.addEventListener('tab-ready', () => resolve(), { once: true });
    });
    frame.addEventListener('error', () => reject(new Error('tab failed to load')));
  });
  document.body.append(frame);
  await ready;
  return (frame.contentWindow as Window & { tab: TabApi }).tab;
}

/** Bytes of the frames stored in the database, read from its records (not from any counter). */
async function storedBytes(dbName: string): Promise<number> {
  const records = await dumpDatabase(dbName);
  let bytes = 0;
  for (const batch of records.filter((r) => r.store === 'batches'))
    bytes += (batch.value as { sizes: number[] }).sizes.reduce((a, b) => a + b, 0);
  return bytes;
}

const instance = instanceOf('jpeg', 3); // 12 frames
const tabs: TabApi[] = [];
const caches: FrameCache[] = [];

beforeEach(resetProxy);
afterEach(async () => {
  await Promise.all([...tabs.splice(0).map((t) => t.close()), ...caches.splice(0).map((c) => c.close())]);
  for (const frame of document.querySelectorAll('iframe')) frame.remove();
  await resetProxy();
});

function options(dbName: string, maxBytes = 64 * 1024 * 1024) {
  // The original's 4-frame windows: each tab reads exactly the frames the test names.
  return {
    shared: false,
    hint: 'minimize-requests' as const,
    wholeInstanceMaxFrames: 0,
    framesPerMiss: 4,
    hotBytes: 0,
    spill: { dbName, maxBytes },
  };
}

describe('IndexedDB tier shared by two tabs (Chromium, real BroadcastChannel)', () => {
  it('serves frames the other tab stored (its write announced on the real channel), exact and without a request; gone once that tab clears the tier', async () => {
    const dbName = `dfc-multitab-${crypto.randomUUID()}`;
    const reference = await referenceFrames(instance);
    const tab = await openTab();
    tabs.push(tab);
    tab.open(options(dbName));
    const page = new FrameCache(options(dbName));
    caches.push(page);
    // The page opens its store (and index) before the other tab writes: it must hear of the write.
    expect(await page.getFrames(instance, [12])).toHaveLength(1);
    await page.waitForLoads();

    // A third listener on the tier's channel: the other tab's worker announces its write here.
    const channel = new BroadcastChannel(`dicomweb-frame-cache:spill:${dbName}`);
    const announced = new Promise<unknown>((resolve) =>
      channel.addEventListener('message', (event) => resolve(event.data), { once: true }),
    );
    const numbers = [1, 2, 3, 4, 5, 6, 7, 8];
    const fromTab = await tab.getFrames(instance.url, instance.frameCount, numbers);
    fromTab.forEach((f, i) =>
      expect(
        f !== undefined && sameBytes(Uint8Array.from(f), reference[numbers[i]! - 1]!),
        `tab frame ${numbers[i]}`,
      ).toBe(true),
    );
    await tab.waitForLoads();
    await announced;
    channel.close();
    expect(await storedBytes(dbName)).toBeGreaterThanOrEqual(
      numbers.reduce((sum, n) => sum + reference[n - 1]!.byteLength, 0),
    );

    // The network is now closed to the page: every frame it returns comes from the tier.
    await resetProxy();
    await setFault({ mode: 'status-404', match: instance.sopInstanceUid });
    const got = await page.getFrames(instance, numbers);
    got.forEach((f, i) =>
      expect(
        f !== undefined && sameBytes(f, reference[numbers[i]! - 1]!),
        `page frame ${numbers[i]} from IndexedDB`,
      ).toBe(true),
    );
    expect((await proxyLog()).filter((e) => e.path.includes('/frames/'))).toEqual([]);
    const stats = await page.stats();
    expect(stats.spillHits).toBe(numbers.length);
    expect(stats.spillErrors).toBe(0);

    // The other tab clears memory and tier: the records are gone from the database, and the page
    // (memory cleared too) finds the frames nowhere.
    await tab.clear(true);
    expect(await storedBytes(dbName)).toBe(0);
    await page.clear({ spill: false });
    const after = await page.getFrames(instance, [1, 2]);
    expect(after).toEqual([undefined, undefined]); // not in memory, not in the tier, the server refuses
    expect(
      (await proxyLog()).some((e) => e.path.includes('/frames/') && e.fault?.startsWith('status-404') === true),
    ).toBe(true);
  });

  it('two tabs writing at once keep the shared byte bound, measured in the database, and serve each other', async () => {
    const dbName = `dfc-multitab-${crypto.randomUUID()}`;
    const reference = await referenceFrames(instance);
    const total = reference.reduce((sum, f) => sum + f.byteLength, 0);
    const bound = Math.floor(total * 0.75);
    const tab = await openTab();
    tabs.push(tab);
    tab.open(options(dbName, bound));
    const page = new FrameCache(options(dbName, bound));
    caches.push(page);
    const odd = [1, 3, 5, 7, 9, 11];
    const even = [2, 4, 6, 8, 10, 12];
    // Both tabs load and spill at the same time: the race the fake channel removed.
    const [a, b] = await Promise.all([
      tab.getFrames(instance.url, instance.frameCount, odd),
      page.getFrames(instance, even),
    ]);
    expect(a.every((f) => f !== undefined) && b.every((f) => f !== undefined)).toBe(true);
    await Promise.all([tab.waitForLoads(), page.waitForLoads()]);
    // More frames: each write makes room under the shared bound.
    await Promise.all([tab.getFrames(instance.url, instance.frameCount, even), page.getFrames(instance, odd)]);
    await Promise.all([tab.waitForLoads(), page.waitForLoads()]);
    const stored = await storedBytes(dbName);
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBeLessThanOrEqual(bound);
    // What the tier holds, either tab serves exactly, with the server closed.
    await setFault({ mode: 'status-404', match: instance.sopInstanceUid });
    await Promise.all([tab.clear(false), page.clear({ spill: false })]);
    const all = Array.from({ length: instance.frameCount }, (_, i) => i + 1);
    const fromPage = await page.getFrames(instance, all);
    let served = 0;
    fromPage.forEach((f, i) => {
      if (f === undefined) return;
      served++;
      expect(sameBytes(f, reference[i]!), `page frame ${i + 1}`).toBe(true);
    });
    expect(served).toBeGreaterThan(0);
    expect(served).toBeLessThan(instance.frameCount); // the bound is below the instance's size
    expect((await page.stats()).spillErrors).toBe(0);
  });
});
