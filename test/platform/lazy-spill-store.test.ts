// The IndexedDB tier behind a dynamic import: calls made before the module arrives wait for it,
// in order; a module that fails to load leaves the tier empty with one counted, logged error.
import { describe, expect, it } from 'vitest';
import type { SpillStore } from '../../src/core/ports.js';
import { LazySpillStore } from '../../src/platform/lazy-spill-store.js';
import { recordingLogger } from '../helpers/fake-platform.js';

class MapStore implements SpillStore {
  readonly map = new Map<string, Uint8Array>();
  readonly calls: string[] = [];
  async getMany(keys: string[]) {
    this.calls.push(`get ${keys.join(',')}`);
    return keys.map((k) => this.map.get(k));
  }
  putMany(entries: [string, Uint8Array][]) {
    this.calls.push(`put ${entries.map(([k]) => k).join(',')}`);
    for (const [k, v] of entries) this.map.set(k, v);
  }
  async flush() {
    this.calls.push('flush');
  }
  async clear() {
    this.calls.push('clear');
    this.map.clear();
  }
  stats() {
    return { storedBytes: [...this.map.values()].reduce((sum, v) => sum + v.byteLength, 0), errors: 0 };
  }
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('LazySpillStore', () => {
  it('queues writes made before the module loaded, in order, and reads and flushes after them', async () => {
    const inner = new MapStore();
    const module = deferred<SpillStore>();
    const store = new LazySpillStore(() => module.promise, recordingLogger());
    store.putMany([['a#1', new Uint8Array([1])]]);
    store.putMany([['a#2', new Uint8Array([2, 2])]]);
    const read = store.getMany(['a#1', 'a#3']);
    const flushed = store.flush();
    expect(store.stats()).toEqual({ storedBytes: 0, errors: 0 });
    module.resolve(inner);
    expect(await read).toEqual([new Uint8Array([1]), undefined]);
    await flushed;
    expect(inner.calls).toEqual(['put a#1', 'put a#2', 'get a#1,a#3', 'flush']);
    expect(store.stats()).toEqual({ storedBytes: 3, errors: 0 });
    store.putMany([['a#3', new Uint8Array([3])]]); // loaded: straight through
    expect(inner.calls.at(-1)).toBe('put a#3');
    await store.clear();
    expect(store.stats().storedBytes).toBe(0);
  });

  it('a module that fails to load: memory only, one error counted and logged, every call settles', async () => {
    const logger = recordingLogger();
    const store = new LazySpillStore(() => Promise.reject(new Error('chunk load failed')), logger);
    store.putMany([['a#1', new Uint8Array([1])]]);
    expect(await store.getMany(['a#1'])).toEqual([undefined]);
    await store.flush();
    await store.clear();
    expect(store.stats()).toEqual({ storedBytes: 0, errors: 1 });
    expect(logger.records.filter((r) => r.level === 'error')).toHaveLength(1);
  });
});
