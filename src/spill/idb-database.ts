/**
 * Opening the tier's database on an injected IDBFactory. idb-keyval's `createStore` cannot be
 * used for this: it reads the global `indexedDB`, makes one object store per database, only
 * creates it when the database is new, and ignores `blocked`. This opener creates both object
 * stores (upgrading an existing database that lacks them), and never hangs: blocked, an error
 * or no answer within `timeoutMs` rejects.
 */
import type { Timers } from '../core/ports.js';

/** Chunk records (StoredChunk): the frames of one batch, key = that batch's id. */
export const FRAMES_STORE = 'frames';
/** Batch records (BatchRecord: keys and sizes, no bytes), auto-incremented ids: oldest batch lowest. */
export const BATCHES_STORE = 'batches';

export type SpillOpenFailure = 'blocked' | 'timeout' | 'error';

export class SpillOpenError extends Error {
  readonly reason: SpillOpenFailure;
  constructor(reason: SpillOpenFailure, cause?: unknown) {
    super(`IndexedDB open failed: ${reason}`, { cause });
    this.name = 'SpillOpenError';
    this.reason = reason;
  }
}

function hasStores(db: IDBDatabase): boolean {
  return db.objectStoreNames.contains(FRAMES_STORE) && db.objectStoreNames.contains(BATCHES_STORE);
}

export function openSpillDatabase(
  factory: IDBFactory,
  dbName: string,
  timers: Timers,
  timeoutMs: number,
): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      timers.clearTimeout(timer);
      reject(error);
    };
    const timer = timers.setTimeout(() => fail(new SpillOpenError('timeout')), timeoutMs);

    const attempt = (version: number | undefined): void => {
      let request: IDBOpenDBRequest;
      try {
        request = version === undefined ? factory.open(dbName) : factory.open(dbName, version);
      } catch (error) {
        fail(error);
        return;
      }
      request.addEventListener('upgradeneeded', () => {
        const db = request.result;
        if (!db.objectStoreNames.contains(FRAMES_STORE)) db.createObjectStore(FRAMES_STORE);
        if (!db.objectStoreNames.contains(BATCHES_STORE)) db.createObjectStore(BATCHES_STORE, { autoIncrement: true });
      });
      request.addEventListener('blocked', () => fail(new SpillOpenError('blocked')));
      request.addEventListener('error', (event) => {
        event.preventDefault();
        fail(request.error ?? new SpillOpenError('error'));
      });
      request.addEventListener('success', () => {
        const db = request.result;
        if (settled) {
          // Answered after we gave up (blocked, timeout): do not keep a connection nobody uses.
          db.close();
          return;
        }
        if (hasStores(db)) {
          settled = true;
          timers.clearTimeout(timer);
          resolve(db);
        } else if (version === undefined) {
          // A database of that name made by someone else, without our stores: add them.
          const next = db.version + 1;
          db.close();
          attempt(next);
        } else {
          db.close();
          fail(new SpillOpenError('error'));
        }
      });
    };
    attempt(undefined);
  });
}

/**
 * Resolves when the transaction commits; rejects with its error once it aborts. A request's
 * error (a QuotaExceededError some browsers report on the put, not at commit) bubbles to the
 * transaction before the abort sets `tx.error`: rejecting there gave a made-up AbortError, and
 * Chromium's quota error at commit reaches each request as an AbortError. So the abort decides,
 * with `tx.error` (the cause), else the first request error that was not an abort.
 */
export function transactionDone(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    let requestError: DOMException | null = null;
    tx.addEventListener('complete', () => resolve());
    tx.addEventListener('error', (event) => {
      const error = event.target === tx ? null : (event.target as IDBRequest | null)?.error;
      if (requestError === null && error && error.name !== 'AbortError') requestError = error;
    });
    tx.addEventListener('abort', () =>
      reject(tx.error ?? requestError ?? new DOMException('The transaction was aborted', 'AbortError')),
    );
  });
}
