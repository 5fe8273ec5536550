/**
 * What one task produces for a MessagePort goes as one message (docs/worker-cost.md, "A view's
 * calls: one message per task, each way"): items queue, and a microtask after the first one
 * posts them all, their buffers transferred together. Both ends of the frame channel use it:
 * the page for a task's calls and cancels, the worker for the answers ready in one round.
 *
 * A batch that cannot be posted (postMessage throws: an item that does not clone, a buffer
 * already detached) is posted again item by item, so one bad item does not take the others
 * with it; an item that still cannot go is handed to `onUndeliverable`, whose caller would
 * otherwise wait for ever (a closed port does not throw: it drops what it is sent).
 */
export class PortOutbox<T> {
  readonly #port: MessagePort;
  readonly #onUndeliverable: ((item: T, error: unknown) => void) | undefined;
  #entries: { item: T; transfers: readonly ArrayBuffer[] }[] = [];
  #closed = false;

  constructor(port: MessagePort, onUndeliverable?: (item: T, error: unknown) => void) {
    this.#port = port;
    this.#onUndeliverable = onUndeliverable;
  }

  add(item: T, transfers: readonly ArrayBuffer[] = []): void {
    if (this.#closed) return;
    this.#entries.push({ item, transfers });
    if (this.#entries.length === 1) queueMicrotask(() => this.#flush());
  }

  /** Drops what is queued; later items are ignored. */
  close(): void {
    this.#closed = true;
    this.#entries = [];
  }

  #flush(): void {
    const entries = this.#entries;
    this.#entries = [];
    if (this.#closed || entries.length === 0) return;
    try {
      this.#port.postMessage(
        entries.map((e) => e.item),
        entries.flatMap((e) => e.transfers),
      );
      return;
    } catch {
      // One item spoils the batch: try each alone below.
    }
    for (const { item, transfers } of entries) {
      try {
        this.#port.postMessage([item], [...transfers]);
      } catch (error) {
        this.#onUndeliverable?.(item, error);
      }
    }
  }
}
