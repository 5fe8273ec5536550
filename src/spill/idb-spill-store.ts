/**
 * The opt-in IndexedDB tier: a bounded, expiring, write-behind store of frame bytes that
 * survives reloads, one chunk record per written batch. Layout, reads, writes, failure
 * handling and privacy rules: docs/design.md, "IndexedDB tier"; the measurements behind the
 * chunk layout: docs/server-and-browser-facts.md, "IndexedDB (Chromium)".
 */
import type { Logger, LogFields, SpillStore, Timers } from '../core/ports.js';
import { checkChunks, errorFields, errorName, spillKey, toChunks } from './idb-records.js';
import { clearTransaction, readChunks, writeTransaction } from './idb-transactions.js';
import { IndexKeeper } from './index-keeper.js';
import type { SpillChannelFactory } from './spill-channel.js';
import { SpillConnection, UNAVAILABLE, type UnavailableReason } from './spill-connection.js';
import { isExpired, type FrameLocation, type IndexedBatch, type SpillIndex } from './spill-index.js';
import { WriteQueue, type Entry } from './write-queue.js';
import { realTimers } from '../shared/real-timers.js';

export { spillKey };
export { FRESHNESS_POLL_MS } from './spill-channel.js';

export const DEFAULT_BATCH_DELAY_MS = 50;
export const DEFAULT_BATCH_MAX_BYTES = 8 * 1024 * 1024;
export const DEFAULT_CHUNK_MAX_BYTES = 512 * 1024;
/** An open that answers nothing (seen in private modes of some browsers) gives up after this. */
export const OPEN_TIMEOUT_MS = 10_000;
/** Queued bytes are capped at this many batches; more is dropped (the tier is only a cache). */
const QUEUE_LIMIT_BATCHES = 8;

export interface IdbSpillStoreOptions {
  /** Database name; one database holds the `frames` and `batches` stores. */
  dbName: string;
  /** Prefixed to every key: entries of one namespace are never served to another. */
  namespace: string;
  /** Bound on stored frame bytes, all namespaces of the database together. */
  maxBytes: number;
  /** Entries older than this (wall-clock ms) are refused and deleted. */
  maxAgeMs: number;
  /** Failures, with structured fields; never frame bytes, keys or header values. */
  logger: Logger;
  /** WALL clock ms (storedAt and expiry must hold across reloads). @default Date.now */
  now?: () => number;
  /** @default globalThis.indexedDB, read at first use; absent: memory only. */
  indexedDB?: IDBFactory;
  /** Write-behind delay after the first queued frame. @default 50 */
  batchDelayMs?: number;
  /** Queued bytes that make a write due at once; also the most one write transaction holds. @default 8 MiB */
  batchMaxBytes?: number;
  /** Bytes of frames per stored chunk (a frame larger than this gets a chunk of its own). @default 512 KiB */
  chunkMaxBytes?: number;
  /**
   * How stores on the same database tell each other about new batches.
   * @default BroadcastChannel where it exists; null: none, check the database every FRESHNESS_POLL_MS
   */
  channel?: SpillChannelFactory | null;
  /**
   * Opens the database and loads the index when constructed, so that the first read (after a
   * reload: while the page still fetches slide metadata) does not wait for them. @default true
   */
  preloadIndex?: boolean;
  /** @default real setTimeout/clearTimeout, wrapped */
  timers?: Timers;
}

/** What one getMany read from IndexedDB, before checking. */
interface ChunkRead {
  index: SpillIndex;
  located: (FrameLocation | undefined)[];
  batches: IndexedBatch[];
  values: unknown[];
  expired: number[];
}

export class IdbSpillStore implements SpillStore {
  readonly #dbName: string;
  readonly #namespace: string;
  readonly #maxBytes: number;
  readonly #maxAgeMs: number;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #batchMaxBytes: number;
  readonly #chunkMaxBytes: number;
  readonly #queue: WriteQueue;
  readonly #connection: SpillConnection;
  readonly #keeper: IndexKeeper;
  #state: 'open' | 'closing' | 'closed' = 'open';
  #errors = 0;

  /** Every IndexedDB change runs on this chain, one at a time; a step never rejects. */
  #chain: Promise<void> = Promise.resolve();
  /** Bumped by clear(): write steps queued before it are dropped. */
  #epoch = 0;
  #sweepQueued = false;
  #loadQueued = false;
  #overflowLogged = false;

  constructor(options: IdbSpillStoreOptions) {
    this.#dbName = options.dbName;
    this.#namespace = options.namespace;
    this.#maxBytes = options.maxBytes;
    this.#maxAgeMs = options.maxAgeMs;
    this.#logger = options.logger;
    this.#now = options.now ?? (() => Date.now());
    this.#batchMaxBytes = Math.max(1, options.batchMaxBytes ?? DEFAULT_BATCH_MAX_BYTES);
    this.#chunkMaxBytes = Math.max(1, Math.min(options.chunkMaxBytes ?? DEFAULT_CHUNK_MAX_BYTES, this.#maxBytes));
    this.#keeper = new IndexKeeper({
      dbName: options.dbName,
      maxAgeMs: options.maxAgeMs,
      logger: options.logger,
      now: this.#now,
      channel: options.channel,
      onCleanupError: (error) => this.#fail('load', error, {}),
      onBadRecords: (count) => {
        this.#errors += count;
        this.#logger.warn('spill: corrupt batch records dropped', { dbName: this.#dbName, batches: count });
      },
    });
    const timers = options.timers ?? realTimers;
    this.#connection = new SpillConnection({
      dbName: options.dbName,
      factory: options.indexedDB,
      timers,
      openTimeoutMs: OPEN_TIMEOUT_MS,
      onUnavailable: (reason, error) => this.#onUnavailable(reason, error),
    });
    this.#queue = new WriteQueue({
      batchDelayMs: Math.max(0, options.batchDelayMs ?? DEFAULT_BATCH_DELAY_MS),
      batchMaxBytes: this.#batchMaxBytes,
      limitBytes: QUEUE_LIMIT_BATCHES * this.#batchMaxBytes,
      timers,
      onDue: () => this.#scheduleWrites(),
    });
    if (options.preloadIndex !== false) {
      this.#connection.run((db) => this.#keeper.ensure(db)).catch((error: unknown) => this.#fail('load', error, {}));
    }
  }

  stats(): { storedBytes: number; errors: number } {
    return { storedBytes: this.#keeper.current.storedBytes, errors: this.#errors };
  }

  /** Queued frames from the queue; the rest from their chunks in one readonly transaction; never rejects. */
  async getMany(keys: string[]): Promise<(Uint8Array | undefined)[]> {
    const out: (Uint8Array | undefined)[] = Array.from({ length: keys.length }, () => undefined);
    if (this.#state === 'closed') return out;
    const askKeys: string[] = [];
    const askAt: number[] = [];
    keys.forEach((key, i) => {
      const stored = spillKey(this.#namespace, key);
      const queued = this.#queue.get(stored);
      if (queued !== undefined) out[i] = queued;
      else {
        askKeys.push(stored);
        askAt.push(i);
      }
    });
    if (askKeys.length === 0) return out;
    let read: ChunkRead | typeof UNAVAILABLE;
    try {
      read = await this.#connection.run((db) => this.#readChunksOf(db, askKeys));
    } catch (error) {
      this.#fail('read', error, { frames: askKeys.length });
      return out;
    }
    if (read === UNAVAILABLE) return out;
    const now = this.#now();
    const { frames, dropped, corrupt } = checkChunks(read.batches, read.values, now, this.#maxAgeMs);
    dropped.push(...read.expired);
    read.located.forEach((location, j) => {
      if (location !== undefined) out[askAt[j]!] = frames.get(location.batch.id)?.[location.position];
    });
    if (corrupt.length > 0) {
      this.#errors += corrupt.length;
      const frameCount = corrupt.reduce((sum, batch) => sum + batch.keys.length, 0);
      this.#logger.warn('spill: corrupt chunk records dropped', {
        dbName: this.#dbName,
        batches: corrupt.length,
        frames: frameCount,
      });
    }
    if (dropped.length > 0) {
      // Out of the index now, so that putMany takes these frames again; off the disk soon.
      for (const id of dropped) read.index.remove(id);
      this.#enqueue(() => this.#deleteBatches(dropped));
    }
    this.#sweepSoon(now);
    return out;
  }

  /** Write-behind: queues, never throws, never blocks. */
  putMany(entries: [string, Uint8Array][]): void {
    if (this.#state !== 'open' || this.#connection.unavailable) return;
    try {
      for (const [key, bytes] of entries) {
        if (!(bytes instanceof Uint8Array) || bytes.byteLength > this.#maxBytes) continue;
        const stored = spillKey(this.#namespace, key);
        if (this.#keeper.current.has(stored) || this.#queue.has(stored)) continue;
        if (!this.#queue.add(stored, bytes) && !this.#overflowLogged) {
          this.#overflowLogged = true;
          this.#logger.debug('spill: write queue full, frames not stored', { dbName: this.#dbName });
        }
      }
      this.#queue.schedule();
    } catch (error) {
      this.#fail('queue', error, {});
    }
  }

  /** Resolves when everything queued so far is stored or failed (and counted); loads the index. */
  async flush(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#scheduleWrites();
    this.#loadSoon();
    await this.#chain;
  }

  /** Deletes every stored frame and the index, for all namespaces; drops queued writes. */
  async clear(): Promise<void> {
    this.#epoch++;
    this.#queue.dropAll();
    // A privacy action: try to open again even if an earlier open failed (the blocker may be gone).
    this.#connection.retry();
    this.#enqueue(async () => {
      try {
        const result = await this.#connection.run(async (db) => {
          await clearTransaction(db);
          this.#keeper.cleared(db);
        });
        if (result === UNAVAILABLE) this.#keeper.forget();
      } catch (error) {
        this.#fail('clear', error, {});
      }
    });
    await this.#chain;
  }

  /** Writes what is queued, then closes the connection; later calls read nothing and store nothing. */
  close(): void {
    if (this.#state !== 'open') return;
    this.#scheduleWrites();
    this.#state = 'closing';
    this.#enqueue(async () => {
      this.#state = 'closed';
      this.#connection.close();
      this.#keeper.close();
    });
  }

  /** Loads the index if needed, catches up with other tabs if a key is unknown, reads the chunks. */
  async #readChunksOf(db: IDBDatabase, keys: string[]): Promise<ChunkRead> {
    const index = await this.#keeper.ensure(db);
    await this.#keeper.syncForRead(db, index, keys);
    const now = this.#now();
    const located = keys.map((key) => index.locate(key));
    const wanted = new Map<number, IndexedBatch>();
    const expired = new Set<number>();
    for (const location of located) {
      if (location === undefined) continue;
      const { batch } = location;
      if (isExpired(batch, now, this.#maxAgeMs)) expired.add(batch.id);
      else wanted.set(batch.id, batch);
    }
    const batches = [...wanted.values()];
    const values =
      batches.length === 0
        ? []
        : await readChunks(
            db,
            batches.map((b) => b.id),
          );
    return { index, located, batches, values, expired: [...expired] };
  }

  /** Moves everything queued into write steps of at most batchMaxBytes (and maxBytes) each. */
  #scheduleWrites(): void {
    const epoch = this.#epoch;
    for (const batch of this.#queue.take(Math.min(this.#batchMaxBytes, this.#maxBytes))) {
      this.#enqueue(() => this.#writeBatch(batch, epoch));
    }
  }

  #enqueue(step: () => Promise<void>): void {
    this.#chain = this.#chain.then(step).catch((error: unknown) => this.#fail('internal', error, {}));
  }

  async #writeBatch(entries: Entry[], epoch: number): Promise<void> {
    let bytes = 0;
    for (const [, value] of entries) bytes += value.byteLength;
    try {
      if (epoch !== this.#epoch) return;
      await this.#connection.run(async (db) => {
        const index = await this.#keeper.ensure(db);
        // Other tabs may have written or evicted since we loaded: bound what is there now.
        await this.#keeper.sync(db, index);
        const fresh = entries.filter(([key]) => !index.has(key));
        if (fresh.length === 0) return;
        const now = this.#now();
        const add = toChunks(fresh, this.#chunkMaxBytes, now);
        let freshBytes = 0;
        for (const { chunk } of add) freshBytes += chunk.n;
        const already = [...index.expired(now, this.#maxAgeMs, true), ...index.superseded()];
        const evict = index.planEviction(freshBytes, this.#maxBytes, already);
        const drop = [...already, ...evict];
        const bound = { maxBytes: this.#maxBytes, evicted: [] as number[] };
        const ids = await writeTransaction(db, drop, add, bound);
        for (const id of [...drop, ...bound.evicted]) index.remove(id);
        ids.forEach((id, i) => index.add(id, add[i]!.record));
        this.#keeper.announce();
        if (evict.length > 0)
          this.#logger.debug('spill: evicted oldest batches', { dbName: this.#dbName, batches: evict.length });
      });
    } catch (error) {
      this.#fail('write', error, { frames: entries.length, bytes });
      if (errorName(error) === 'QuotaExceededError') await this.#evictOldest(bytes);
    } finally {
      this.#queue.settle(entries);
      if (this.#queue.idle) this.#overflowLogged = false;
    }
  }

  /** After a quota error: the browser's quota is below maxBytes, so free what the failed step needed. */
  async #evictOldest(bytes: number): Promise<void> {
    try {
      await this.#connection.run(async (db) => {
        const index = await this.#keeper.ensure(db);
        const ids = index.planEviction(Math.max(1, bytes), index.storedBytes);
        if (ids.length === 0) return;
        await writeTransaction(db, ids);
        for (const id of ids) index.remove(id);
      });
    } catch (error) {
      this.#fail('evict', error, {});
    }
  }

  /** Deletes batches (record and chunk) already out of the index: gone, damaged or expired. */
  async #deleteBatches(ids: number[]): Promise<void> {
    try {
      await this.#connection.run((db) => writeTransaction(db, ids));
    } catch (error) {
      this.#fail('delete', error, { batches: ids.length });
    }
  }

  /** Loads the index on the chain (after a reload: so stats() shows what is stored). */
  #loadSoon(): void {
    if (this.#loadQueued) return;
    this.#loadQueued = true;
    this.#enqueue(async () => {
      this.#loadQueued = false;
      try {
        await this.#connection.run((db) => this.#keeper.ensure(db));
      } catch (error) {
        this.#fail('load', error, {});
      }
    });
  }

  /** Deletes expired batches soon, when the oldest one is (O(1) when none is). */
  #sweepSoon(now: number): void {
    if (this.#sweepQueued) return;
    if (this.#keeper.current.expired(now, this.#maxAgeMs, true).length === 0) return;
    this.#sweepQueued = true;
    this.#enqueue(async () => {
      this.#sweepQueued = false;
      try {
        await this.#connection.run(async (db) => {
          const index = await this.#keeper.ensure(db);
          const ids = index.expired(this.#now(), this.#maxAgeMs, true);
          if (ids.length === 0) return;
          await writeTransaction(db, ids);
          for (const id of ids) index.remove(id);
        });
      } catch (error) {
        this.#fail('expire', error, {});
      }
    });
  }

  /** Memory only from now on: counted and logged once; behaves as an empty store. */
  #onUnavailable(reason: UnavailableReason, error: unknown): void {
    this.#errors++;
    const fields: LogFields = { dbName: this.#dbName, reason };
    this.#logger.warn(
      'spill: IndexedDB unavailable; frames stay in memory only',
      error === undefined ? fields : { ...fields, ...errorFields(error) },
    );
    this.#queue.dropAll();
    this.#keeper.forget();
  }

  #fail(op: string, error: unknown, fields: LogFields): void {
    this.#errors++;
    this.#logger.warn(`spill ${op} failed; frames stay in memory only`, {
      dbName: this.#dbName,
      op,
      ...fields,
      ...errorFields(error),
    });
  }
}
