/**
 * What one task produces for a MessagePort goes as one message (docs/worker-cost.md, "A view's
 * calls: one message per task, each way"): items queue, and a microtask after the first one
 * posts them all, their buffers transferred together. Both ends of the frame channel use it:
 * the page for a task's calls and cancels, the worker for the answers ready in one round.
 */
export class PortOutbox<T> {
  readonly #port: MessagePort;
  #items: T[] = [];
  #transfers: ArrayBuffer[] = [];
  #closed = false;

  constructor(port: MessagePort) {
    this.#port = port;
  }

  add(item: T, transfers: readonly ArrayBuffer[] = []): void {
    if (this.#closed) return;
    this.#items.push(item);
    for (const buffer of transfers) this.#transfers.push(buffer);
    if (this.#items.length === 1) queueMicrotask(() => this.#flush());
  }

  /** Drops what is queued; later items are ignored. */
  close(): void {
    this.#closed = true;
    this.#items = [];
    this.#transfers = [];
  }

  #flush(): void {
    const items = this.#items;
    const transfers = this.#transfers;
    this.#items = [];
    this.#transfers = [];
    if (this.#closed || items.length === 0) return;
    try {
      this.#port.postMessage(items, transfers);
    } catch {
      // The other end closed the channel (a tab gone or restarting): nobody waits for these.
    }
  }
}
