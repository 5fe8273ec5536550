/**
 * One 'abort' listener per signal, however many waits share it. A viewer passes one
 * AbortSignal to the getFrame calls of a view (30 tiles, and more while panning): one listener
 * each made Node warn past ten on one signal (MaxListenersExceededWarning, a leak warning for
 * a pattern that is not one), and made the signal's dispatch walk them all. Each wait's handler
 * is kept here instead, and the signal's one listener is removed with the last of them.
 */
interface Entry {
  readonly listener: () => void;
  readonly handlers: Set<() => void>;
}

export class AbortFanout {
  readonly #entries = new WeakMap<AbortSignal, Entry>();

  /**
   * Calls `handler` once, when `signal` aborts; the signal must not have aborted yet (a wait
   * checks that first). Returns the removal, for a wait that ends before the abort; calling it
   * after the abort, or twice, does nothing.
   */
  add(signal: AbortSignal, handler: () => void): () => void {
    let entry = this.#entries.get(signal);
    if (entry === undefined) {
      const handlers = new Set<() => void>();
      const listener = (): void => {
        this.#entries.delete(signal);
        // A handler that ends another wait removes that one's handler: a Set skips it then. One
        // that throws does not keep the rest from hearing the abort (as separate listeners did):
        // the first error is thrown at the end, for the signal's dispatch to report.
        let failed = false;
        let error: unknown;
        for (const each of handlers) {
          try {
            each();
          } catch (thrown) {
            if (!failed) error = thrown;
            failed = true;
          }
        }
        handlers.clear();
        if (failed) throw error;
      };
      entry = { listener, handlers };
      this.#entries.set(signal, entry);
      signal.addEventListener('abort', listener, { once: true });
    }
    const { handlers, listener } = entry;
    handlers.add(handler);
    return () => {
      if (!handlers.delete(handler) || handlers.size > 0) return;
      if (this.#entries.get(signal)?.handlers !== handlers) return;
      this.#entries.delete(signal);
      signal.removeEventListener('abort', listener);
    };
  }

  /** How many waits listen to `signal` now (tests). */
  waiting(signal: AbortSignal): number {
    return this.#entries.get(signal)?.handlers.size ?? 0;
  }
}
