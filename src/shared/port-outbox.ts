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
 *
 * By default a message is the array of its items; `pack` makes another message of them (the
 * worker's shared-mode answers: their frames copied into one buffer, see worker/answer-pack.ts).
 */
export interface OutboxEntry<T> {
  item: T;
  transfers: readonly ArrayBuffer[];
}

/** The message for some entries, and what it transfers. */
export type OutboxPack<T> = (entries: readonly OutboxEntry<T>[]) => { message: unknown; transfers: ArrayBuffer[] };

function asArray<T>(entries: readonly OutboxEntry<T>[]): { message: unknown; transfers: ArrayBuffer[] } {
  // Plain loops: this runs for every message of the hit path (flatMap showed in its profile).
  const message: T[] = [];
  const transfers: ArrayBuffer[] = [];
  for (const entry of entries) {
    message.push(entry.item);
    for (const buffer of entry.transfers) transfers.push(buffer);
  }
  return { message, transfers };
}

/**
 * Where the flush is queued: a promise reaction, not `queueMicrotask` (a DOM binding: 2-6 µs a
 * call in the hit path's profile against well under 1 for a reaction; docs/worker-cost.md, "The
 * hit path without promises"). Same queue, same order.
 */
export const RESOLVED = Promise.resolve();

export class PortOutbox<T> {
  readonly #port: MessagePort;
  readonly #onUndeliverable: ((item: T, error: unknown) => void) | undefined;
  readonly #pack: OutboxPack<T>;
  #entries: OutboxEntry<T>[] = [];
  #closed = false;

  constructor(port: MessagePort, onUndeliverable?: (item: T, error: unknown) => void, pack: OutboxPack<T> = asArray) {
    this.#port = port;
    this.#onUndeliverable = onUndeliverable;
    this.#pack = pack;
  }

  add(item: T, transfers: readonly ArrayBuffer[] = []): void {
    if (this.#closed) return;
    this.#entries.push({ item, transfers });
    if (this.#entries.length === 1) void RESOLVED.then(this.#flushNow);
  }

  /** Drops what is queued; later items are ignored. */
  close(): void {
    this.#closed = true;
    this.#entries = [];
  }

  /** Never rejects its reaction: what #flush throws (a bug) is thrown in a task, as queueMicrotask would report it. */
  readonly #flushNow = (): void => {
    try {
      this.#flush();
    } catch (error) {
      setTimeout(() => {
        throw error;
      }, 0);
    }
  };

  #flush(): void {
    const entries = this.#entries;
    this.#entries = [];
    if (this.#closed || entries.length === 0) return;
    try {
      const { message, transfers } = this.#pack(entries);
      this.#port.postMessage(message, transfers);
      return;
    } catch {
      // One item spoils the batch: try each alone below.
    }
    for (const entry of entries) {
      try {
        const { message, transfers } = this.#pack([entry]);
        this.#port.postMessage(message, transfers);
      } catch (error) {
        this.#onUndeliverable?.(entry.item, error);
      }
    }
  }
}
