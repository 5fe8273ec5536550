// One engine for every tab of the origin: a second "tab" (a same-origin iframe with its own
// FrameCache) shares the SharedWorker's memory and request stream with the test page.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FrameCache } from '../../src/page/frame-cache.js';
import { frameRequests, proxiedInstances, proxyLog, resetProxy } from './helpers.js';

interface TabApi {
  open(options: object): string;
  readAll(url: string, frameCount: number): Promise<number>;
  stats(): Promise<{ hits: number; misses: number; requests: number; tab?: { hits: number; misses: number } }>;
  uid(): string;
}

async function openTab(): Promise<{ frame: HTMLIFrameElement; tab: TabApi }> {
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
  return { frame, tab: (frame.contentWindow as Window & { tab: TabApi }).tab };
}

const OPTIONS = { wholeInstanceMaxFrames: 0, maxBytes: 64 * 1024 * 1024 };
const open: FrameCache[] = [];

beforeEach(resetProxy);
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
  for (const frame of document.querySelectorAll('iframe')) frame.remove();
});

describe('FrameCache in shared mode (SharedWorker)', () => {
  it('is the default where SharedWorker exists: two tabs without `shared` get one engine, `shared: false` its own', async () => {
    expect(typeof SharedWorker).toBe('function');
    const { tab } = await openTab();
    tab.open(OPTIONS); // no `shared` option
    const mine = new FrameCache(OPTIONS);
    const apart = new FrameCache({ ...OPTIONS, shared: false });
    open.push(mine, apart);
    await Promise.all([tab.stats(), mine.stats(), apart.stats()]);
    expect(mine.cacheInstanceUid).toBe(tab.uid());
    expect(apart.cacheInstanceUid).not.toBe(tab.uid());
  });

  it("the second tab's first read of a level the first tab loaded sends zero requests; per-tab stats apart", async () => {
    const level = proxiedInstances('jpeg')[1]!; // 192 frames
    const { tab } = await openTab();
    tab.open(OPTIONS);
    expect(await tab.readAll(level.url, level.frameCount)).toBe(192);
    const afterFirst = frameRequests(await proxyLog()).length;
    expect(afterFirst).toBeGreaterThan(0);

    const mine = new FrameCache(OPTIONS);
    open.push(mine);
    const frames = await mine.getFrames(
      level,
      Array.from({ length: 192 }, (_, i) => i + 1),
    );
    expect(frames.every((f) => f !== undefined && f.byteLength > 0)).toBe(true);
    expect(frameRequests(await proxyLog())).toHaveLength(afterFirst);

    const myStats = await mine.stats();
    expect(myStats.tab).toEqual({ hits: 192, misses: 0 });
    const theirStats = await tab.stats();
    expect(theirStats.tab?.misses).toBe(192);
    expect(myStats.hits).toBeGreaterThanOrEqual(192); // totals: both tabs
    expect(mine.cacheInstanceUid).toBe(tab.uid()); // one engine
  });

  it('closing the first tab keeps the second working, with the shared memory intact', async () => {
    const level = proxiedInstances('jpeg')[2]!; // 48 frames
    const { frame, tab } = await openTab();
    tab.open(OPTIONS);
    const mine = new FrameCache(OPTIONS);
    open.push(mine);
    expect(await tab.readAll(level.url, level.frameCount)).toBe(48);
    const before = frameRequests(await proxyLog()).length;
    frame.remove(); // the tab goes away without closing its cache
    const frames = await mine.getFrames(
      level,
      Array.from({ length: 48 }, (_, i) => i + 1),
    );
    expect(frames.every((f) => f !== undefined)).toBe(true);
    expect(frameRequests(await proxyLog())).toHaveLength(before);
    const other = proxiedInstances('jpeg')[3]!; // 12 frames, new requests still flow
    expect((await mine.getFrame(other, 12))?.byteLength).toBeGreaterThan(0);
  });

  it("a view's getFrame answers cross as one packed message, yet each caller owns a buffer of exactly its frame", async () => {
    const level = proxiedInstances('jpeg')[3]!; // 12 frames
    const numbers = Array.from({ length: level.frameCount }, (_, i) => i + 1);
    // hotBytes 0: every answer comes from the worker, the second read as worker hits. An engine
    // of its own (maxBytes is part of the share key): the tab the test before removed may still
    // hold its lease on the OPTIONS engine, with these 12 frames in it, until its lock's release
    // reaches the worker.
    const own = { ...OPTIONS, maxBytes: 48 * 1024 * 1024, hotBytes: 0 };
    const shared = new FrameCache(own);
    const dedicated = new FrameCache({ ...own, shared: false });
    open.push(shared, dedicated);
    const expected = await Promise.all(numbers.map((n) => dedicated.getFrame(level, n)));
    for (const read of ['misses', 'hits']) {
      const frames = await Promise.all(numbers.map((n) => shared.getFrame(level, n)));
      frames.forEach((bytes, i) => {
        expect(bytes, `${read}, frame ${i + 1}`).toEqual(expected[i]);
        expect(bytes!.buffer.byteLength, `${read}, frame ${i + 1}`).toBe(bytes!.byteLength);
      });
      // A caller that transfers its frame away takes no other caller's bytes with it.
      const { port1, port2 } = new MessageChannel();
      port1.postMessage(frames[0]!.buffer, [frames[0]!.buffer]);
      port1.close();
      port2.close();
      expect(frames[0]!.byteLength).toBe(0);
      frames.slice(1).forEach((bytes, i) => expect(bytes).toEqual(expected[i + 1]));
    }
    expect((await shared.stats()).tab).toEqual({ hits: 12, misses: 12 });
  });

  it('tabs with different settings get different engines', async () => {
    const a = new FrameCache({ ...OPTIONS, framesPerMiss: 3 });
    const b = new FrameCache({ ...OPTIONS, framesPerMiss: 5 });
    open.push(a, b);
    const level = proxiedInstances('jpeg')[3]!;
    await a.getFrame(level, 1);
    await b.getFrame(level, 1);
    expect((await b.stats()).misses).toBe(1);
    expect(a.cacheInstanceUid).not.toBe(b.cacheInstanceUid);
  });
});
