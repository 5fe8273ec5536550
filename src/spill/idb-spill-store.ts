/**
 * The opt-in IndexedDB tier (DESIGN.md "IndexedDB tier"): a bounded, expiring, write-behind
 * store of frame bytes that survives reloads. Frames can be patient data: nothing but frame
 * bytes, sizes, times and the namespace-prefixed keys is stored, and logs carry neither bytes,
 * keys nor header values.
 *
 * Layout: ONE database `dbName` with two object stores (see idb-database.ts):
 * - `frames`: key `spillKey(namespace, key)`, value `{ v: Uint8Array, n: byteLength, t: storedAtMs }`;
 * - `batches`: one record per written batch, `{ t, keys, sizes }`, auto-incremented id.
 * A batch's frames and its record are written in the same transaction, and an eviction deletes
 * frames and record in the same transaction, so the index and the frames never disagree
 * (better than a second database: no frames without a record after a crash). All namespaces
 * share the database and the byte bound; `clear()` empties both stores for all of them.
 *
 * Reads: one transaction per `getMany` (INTEROP.md: one per frame is slower than the network).
 * Writes: `putMany` queues; a batch is written `batchDelayMs` after the first queued frame, or
 * at once when `batchMaxBytes` are queued (write-queue.ts). Eviction is oldest batch first
 * (write order, not read order), decided on the in-memory `SpillIndex` loaded at first use and
 * brought up to date with other tabs' batch records before each write (a count and the new
 * ids: cheap), so the bound holds for all tabs together. Entries older than `maxAgeMs` are
 * refused on read and deleted (with their batch on the next write or read, or at the next load).
 *
 * Failures never reach callers: they are counted in `stats().errors` and logged. IndexedDB
 * absent, blocked or failing to open: memory only (counted and logged once). Quota on a write:
 * that batch is dropped and the oldest batch evicted. A closed connection (another tab deleted
 * or upgraded the database): reopened once, then memory only.
 *
 * Keys are the engine's `${instanceUrl}#${frameNumber}`: a URL carrying a token in its query
 * string would be stored as is (out of scope: tokens belong in headers).
 */
import { delMany, getMany as getRecords } from 'idb-keyval';
import type { Logger, LogFields, SpillStore, Timers } from '../core/ports.js';
import { FRAMES_STORE } from './idb-database.js';
import {
  checkStoredFrame,
  clearTransaction,
  errorFields,
  errorName,
  loadIndex,
  spillKey,
  syncIndex,
  useStore,
  writeTransaction,
  type StoredFrame,
} from './idb-records.js';
import { SpillConnection, UNAVAILABLE, type UnavailableReason } from './spill-connection.js';
import { SpillIndex, type BatchRecord } from './spill-index.js';
import { WriteQueue, type Entry } from './write-queue.js';

export { spillKey };

export const DEFAULT_BATCH_DELAY_MS = 50;
export const DEFAULT_BATCH_MAX_BYTES = 8 * 1024 * 1024;
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
  /** A batch is written at once when this many bytes are queued; also the largest batch. @default 8 MiB */
  batchMaxBytes?: number;
  /** @default real setTimeout/clearTimeout, wrapped */
  timers?: Timers;
}

const realTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class IdbSpillStore implements SpillStore {
  readonly #dbName: string;
  readonly #namespace: string;
  readonly #maxBytes: number;
  readonly #maxAgeMs: number;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #batchMaxBytes: number;
  readonly #queue: WriteQueue;
  readonly #connection: SpillConnection;
  /** The connection the index was loaded through; another one means: load it again. */
  #indexDb: IDBDatabase | undefined;
  readonly #index = new SpillIndex();
  #state: 'open' | 'closing' | 'closed' = 'open';
  #errors = 0;

  /** Every IndexedDB change runs on this chain, one at a time; a step never rejects. */
  #chain: Promise<void> = Promise.resolve();
  /** Bumped by clear(): write steps queued before it are skipped. */
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
  }

  stats(): { storedBytes: number; errors: number } {
    return { storedBytes: this.#index.storedBytes, errors: this.#errors };
  }

  /** One readonly transaction for all keys not still queued; never rejects. */
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
    let values: unknown[];
    try {
      const result = await this.#connection.run((db) => getRecords<unknown>(askKeys, useStore(db, FRAMES_STORE)));
      if (result === UNAVAILABLE) return out;
      values = result;
    } catch (error) {
      this.#fail('read', error, { frames: askKeys.length });
      return out;
    }
    const now = this.#now();
    const stale: string[] = [];
    let corrupt = 0;
    values.forEach((value, j) => {
      if (value === undefined) return;
      const key = askKeys[j]!;
      const checked = checkStoredFrame(value, now, this.#maxAgeMs);
      if (checked instanceof Uint8Array) {
        out[askAt[j]!] = checked;
        return;
      }
      if (checked === 'corrupt') corrupt++;
      stale.push(key);
      this.#index.removeKey(key);
    });
    if (corrupt > 0) {
      this.#errors += corrupt;
      this.#logger.warn('spill: corrupt frame records dropped', { dbName: this.#dbName, frames: corrupt });
    }
    if (stale.length > 0) this.#enqueue(() => this.#deleteFrames(stale));
    if (this.#indexDb === undefined) this.#loadSoon();
    else this.#sweepSoon(now);
    return out;
  }

  /** Write-behind: queues, never throws, never blocks. */
  putMany(entries: [string, Uint8Array][]): void {
    if (this.#state !== 'open' || this.#connection.unavailable) return;
    try {
      for (const [key, bytes] of entries) {
        if (!(bytes instanceof Uint8Array) || bytes.byteLength > this.#maxBytes) continue;
        const stored = spillKey(this.#namespace, key);
        if (this.#index.has(stored) || this.#queue.has(stored)) continue;
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
          this.#index.reset();
          this.#indexDb = db;
        });
        if (result === UNAVAILABLE) this.#index.reset();
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
    });
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
        await this.#ensureIndex(db);
        // Other tabs may have written or evicted since we loaded: bound what is there now.
        await syncIndex(db, this.#index);
        const fresh = entries.filter(([key]) => !this.#index.has(key));
        if (fresh.length === 0) return;
        let freshBytes = 0;
        for (const [, value] of fresh) freshBytes += value.byteLength;
        const now = this.#now();
        const expired = this.#index.expired(now, this.#maxAgeMs, true);
        const evict = this.#index.planEviction(freshBytes, this.#maxBytes, expired);
        const drop = [...expired, ...evict];
        const record: BatchRecord = { t: now, keys: fresh.map(([key]) => key), sizes: fresh.map(([, v]) => v.byteLength) };
        const frames = fresh.map(([key, v]): [string, StoredFrame] => [key, { v, n: v.byteLength, t: now }]);
        const id = await writeTransaction(db, { frameKeys: this.#index.ownedKeys(drop), batchIds: drop }, { frames, record });
        for (const old of drop) this.#index.remove(old);
        if (id !== undefined) this.#index.add(id, record);
        if (evict.length > 0) this.#logger.debug('spill: evicted oldest batches', { dbName: this.#dbName, batches: evict.length });
      });
    } catch (error) {
      this.#fail('write', error, { frames: entries.length, bytes });
      if (errorName(error) === 'QuotaExceededError') await this.#evictOldest();
    } finally {
      this.#queue.settle(entries);
      if (this.#queue.idle) this.#overflowLogged = false;
    }
  }

  /** After a quota error: the browser's quota is below maxBytes, so make room the hard way. */
  async #evictOldest(): Promise<void> {
    try {
      await this.#connection.run(async (db) => {
        await this.#ensureIndex(db);
        const id = this.#index.oldestId();
        if (id === undefined) return;
        await writeTransaction(db, { frameKeys: this.#index.ownedKeys([id]), batchIds: [id] });
        this.#index.remove(id);
      });
    } catch (error) {
      this.#fail('evict', error, {});
    }
  }

  async #deleteFrames(keys: string[]): Promise<void> {
    try {
      await this.#connection.run(async (db) => {
        await delMany(keys, useStore(db, FRAMES_STORE));
        for (const key of keys) this.#index.removeKey(key);
      });
    } catch (error) {
      this.#fail('delete', error, { frames: keys.length });
    }
  }

  /** Loads the index on the chain (after a reload: so stats() shows what is stored). */
  #loadSoon(): void {
    if (this.#loadQueued) return;
    this.#loadQueued = true;
    this.#enqueue(async () => {
      this.#loadQueued = false;
      try {
        await this.#connection.run((db) => this.#ensureIndex(db));
      } catch (error) {
        this.#fail('load', error, {});
      }
    });
  }

  /** Deletes expired batches soon, when the oldest one is (O(1) when none is). */
  #sweepSoon(now: number): void {
    if (this.#sweepQueued) return;
    if (this.#index.expired(now, this.#maxAgeMs, true).length === 0) return;
    this.#sweepQueued = true;
    this.#enqueue(async () => {
      this.#sweepQueued = false;
      try {
        await this.#connection.run(async (db) => {
          await this.#ensureIndex(db);
          const ids = this.#index.expired(this.#now(), this.#maxAgeMs, true);
          if (ids.length === 0) return;
          await writeTransaction(db, { frameKeys: this.#index.ownedKeys(ids), batchIds: ids });
          for (const id of ids) this.#index.remove(id);
        });
      } catch (error) {
        this.#fail('expire', error, {});
      }
    });
  }

  /** Loads the index through `db` unless it was loaded through that connection. */
  async #ensureIndex(db: IDBDatabase): Promise<void> {
    if (this.#indexDb === db) return;
    const found = await loadIndex(db, this.#index, this.#now(), this.#maxAgeMs);
    if (found.badRecords > 0) {
      this.#errors += found.badRecords;
      this.#logger.warn('spill: corrupt batch records dropped', { dbName: this.#dbName, batches: found.badRecords });
    }
    if (found.expiredBatches > 0 || found.orphanFrames > 0 || found.missingFrames > 0) this.#logger.debug('spill: index loaded and cleaned', { dbName: this.#dbName, ...found });
    this.#indexDb = db;
  }

  /** Memory only from now on: counted and logged once; behaves as an empty store. */
  #onUnavailable(reason: UnavailableReason, error: unknown): void {
    this.#errors++;
    const fields: LogFields = { dbName: this.#dbName, reason };
    this.#logger.warn('spill: IndexedDB unavailable; frames stay in memory only', error === undefined ? fields : { ...fields, ...errorFields(error) });
    this.#queue.dropAll();
    this.#index.reset();
    this.#indexDb = undefined;
  }

  #fail(op: string, error: unknown, fields: LogFields): void {
    this.#errors++;
    this.#logger.warn(`spill ${op} failed; frames stay in memory only`, { dbName: this.#dbName, op, ...fields, ...errorFields(error) });
  }
}
