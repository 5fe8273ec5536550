/**
 * Breaks IndexedDB inside a test worker before the real worker entry loads, as the worker's
 * `name` says:
 * - 'quota': every transaction that puts into the `frames` store aborts with a
 *   QuotaExceededError, as Chromium's does when the origin's quota is used up;
 * - 'absent': no `indexedDB` at all (some private modes, some embedded browsers);
 * - anything else: IndexedDB untouched.
 */
/** The mode this worker runs in (its `name`). */
export const mode = (globalThis as unknown as { name?: string }).name;

if (mode === 'quota') {
  const quotaAborted = new WeakSet<IDBTransaction>();
  const put = IDBObjectStore.prototype.put;
  IDBObjectStore.prototype.put = function patchedPut(this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
    const request = put.apply(this, args);
    if (this.name === 'frames' && !quotaAborted.has(this.transaction)) {
      const tx = this.transaction;
      quotaAborted.add(tx);
      // After the caller queued the rest of the batch, as a real commit that runs out of room.
      queueMicrotask(() => tx.abort());
    }
    return request;
  };
  const errorGetter = Object.getOwnPropertyDescriptor(IDBTransaction.prototype, 'error')!.get!;
  Object.defineProperty(IDBTransaction.prototype, 'error', {
    configurable: true,
    get(this: IDBTransaction) {
      return quotaAborted.has(this)
        ? new DOMException('The quota has been exceeded.', 'QuotaExceededError')
        : errorGetter.call(this);
    },
  });
} else if (mode === 'absent') {
  Object.defineProperty(globalThis, 'indexedDB', { value: undefined, configurable: true, writable: true });
}
