/**
 * The store's in-memory SpillIndex over its life: loaded once per connection (one load at a
 * time, shared by every caller), brought up to date with other tabs' batches when they may
 * have written some (spill-channel.ts), and replaced, never reset, by a load, a clear or
 * memory-only mode, so that work begun on an index that was replaced cannot change the new one.
 * An index loaded from a snapshot taken before a clear() committed is dropped.
 */
import type { Logger } from '../core/ports.js';
import { errorName } from './idb-records.js';
import { loadIndex, syncIndex, writeTransaction } from './idb-transactions.js';
import { IndexFreshness, type SpillChannelFactory } from './spill-channel.js';
import { SpillIndex } from './spill-index.js';

export interface IndexKeeperOptions {
  dbName: string;
  maxAgeMs: number;
  logger: Logger;
  /** Wall clock ms. */
  now: () => number;
  /** undefined: the global BroadcastChannel where it exists; null: none (polling). */
  channel: SpillChannelFactory | null | undefined;
  /** Cleaning up at load failed (the store counts and logs it). */
  onCleanupError: (error: unknown) => void;
  /** Batch records of the wrong shape were found at load and deleted (the store counts them). */
  onBadRecords: (count: number) => void;
}

export class IndexKeeper {
  readonly #options: IndexKeeperOptions;
  readonly #freshness: IndexFreshness;
  #index = new SpillIndex();
  /** The connection the index was loaded through; another one means: load it again. */
  #db: IDBDatabase | undefined;
  #loading: { db: IDBDatabase; promise: Promise<void> } | undefined;
  /** Clears committed: a load that began before one is not installed. */
  #clears = 0;

  constructor(options: IndexKeeperOptions) {
    this.#options = options;
    this.#freshness = new IndexFreshness(options.channel, options.dbName, options.logger, options.now);
  }

  get current(): SpillIndex {
    return this.#index;
  }

  /** Loads the index through `db` unless it was loaded through it; resolves with the current index. */
  async ensure(db: IDBDatabase): Promise<SpillIndex> {
    if (this.#db !== db) {
      let loading = this.#loading;
      if (loading?.db !== db) {
        const current = { db, promise: this.#load(db) };
        this.#loading = loading = current;
        const done = (): void => {
          if (this.#loading === current) this.#loading = undefined;
        };
        current.promise.then(done, done);
      }
      await loading.promise;
    }
    return this.#index;
  }

  /** Brings `index` up to date with other tabs' batch records (one small transaction). */
  async sync(db: IDBDatabase, index: SpillIndex): Promise<void> {
    const mark = this.#freshness.mark();
    await syncIndex(db, index);
    if (index === this.#index) this.#freshness.caughtUp(mark);
  }

  /** Syncs first only if a key is unknown and another store may have written since. */
  async syncForRead(db: IDBDatabase, index: SpillIndex, keys: readonly string[]): Promise<void> {
    if (this.#freshness.mayBeStale() && keys.some((key) => !index.has(key))) await this.sync(db, index);
  }

  /** Tells the other stores on the database that this one wrote batches. */
  announce(): void {
    this.#freshness.announce();
  }

  /** The database was emptied through `db`: an empty index, current. */
  cleared(db: IDBDatabase): void {
    this.#clears++;
    this.#install(new SpillIndex(), db, this.#freshness.mark());
  }

  /** Memory only (or the clear could not run): an empty index, loaded again at the next use. */
  forget(): void {
    this.#index = new SpillIndex();
    this.#db = undefined;
  }

  close(): void {
    this.#freshness.close();
  }

  async #load(db: IDBDatabase): Promise<void> {
    this.#freshness.open();
    const clears = this.#clears;
    const mark = this.#freshness.mark();
    const { now, maxAgeMs, logger, dbName } = this.#options;
    const found = await loadIndex(db, now(), maxAgeMs);
    if (found.remove.length > 0) {
      try {
        await writeTransaction(db, found.remove);
      } catch (error) {
        if (errorName(error) === 'InvalidStateError') throw error;
        // Left on disk and out of the index: tried again at the next load.
        this.#options.onCleanupError(error);
      }
    }
    // A clear() committed meanwhile: the empty index it installed stands.
    if (clears !== this.#clears) return;
    this.#install(found.index, db, mark);
    if (found.badRecords > 0) this.#options.onBadRecords(found.badRecords);
    const { expiredBatches, missingChunks, orphanChunks } = found;
    if (expiredBatches > 0 || missingChunks > 0 || orphanChunks > 0) {
      logger.debug('spill: index loaded and cleaned', { dbName, expiredBatches, missingChunks, orphanChunks });
    }
  }

  #install(index: SpillIndex, db: IDBDatabase, mark: number): void {
    this.#index = index;
    this.#db = db;
    this.#freshness.caughtUp(mark);
  }
}
