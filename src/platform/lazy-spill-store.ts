/**
 * The IndexedDB tier, loaded only when `spill` is configured: the store's module (about 1.5k
 * lines with idb-keyval) is a dynamic import, so a cache without `spill` never downloads or
 * parses it (the build puts it in a chunk of its own). The import starts when the engine is
 * built, so the database opens while the page still fetches slide metadata.
 */
import type { Logger, SpillStore } from '../core/ports.js';

export class LazySpillStore implements SpillStore {
  #store: SpillStore | undefined;
  #loadFailed = false;
  readonly #ready: Promise<SpillStore | undefined>;

  /** `load` makes the real store; when it rejects the tier stays empty (one error, logged). */
  constructor(load: () => Promise<SpillStore>, logger: Logger) {
    this.#ready = load().then(
      (store) => (this.#store = store),
      (error: unknown) => {
        this.#loadFailed = true;
        logger.error('spill: the IndexedDB tier could not be loaded; memory only', {
          error: error instanceof Error ? error.message : String(error),
        });
        return undefined;
      },
    );
  }

  async getMany(keys: string[]): Promise<(Uint8Array | undefined)[]> {
    const store = this.#store ?? (await this.#ready);
    return store === undefined ? keys.map(() => undefined) : store.getMany(keys);
  }

  /** Before the module is there, the entries wait for it (in call order). */
  putMany(entries: [string, Uint8Array][]): void {
    if (this.#store !== undefined) this.#store.putMany(entries);
    else void this.#ready.then((store) => store?.putMany(entries));
  }

  async flush(): Promise<void> {
    await (this.#store ?? (await this.#ready))?.flush();
  }

  async clear(): Promise<void> {
    await (this.#store ?? (await this.#ready))?.clear();
  }

  stats(): { storedBytes: number; errors: number } {
    return this.#store?.stats() ?? { storedBytes: 0, errors: this.#loadFailed ? 1 : 0 };
  }
}
