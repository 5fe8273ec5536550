/** Raw IndexedDB from the page, as another tab would use it: open, rewrite records, delete. */

function promised<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.addEventListener('success', () => resolve(request.result));
    request.addEventListener('error', () => reject(request.error));
  });
}

/** Opens `name` (at `version`, creating no store); the connection ignores versionchange unless told. */
export function openRaw(name: string, version?: number): Promise<IDBDatabase> {
  return promised(version === undefined ? indexedDB.open(name) : indexedDB.open(name, version));
}

/** Rewrites every record of `store`: the callback returns the new value, or undefined to keep it. */
export async function rewriteRecords(
  dbName: string,
  store: string,
  change: (key: IDBValidKey, value: unknown) => unknown,
): Promise<number> {
  const db = await openRaw(dbName);
  try {
    const tx = db.transaction(store, 'readwrite');
    const changed = await new Promise<number>((resolve, reject) => {
      let count = 0;
      const cursor = tx.objectStore(store).openCursor();
      cursor.addEventListener('success', () => {
        const c = cursor.result;
        if (c === null) return resolve(count);
        const next = change(c.key, c.value);
        if (next !== undefined) {
          c.update(next);
          count++;
        }
        c.continue();
      });
      cursor.addEventListener('error', () => reject(cursor.error));
    });
    await new Promise<void>((resolve, reject) => {
      tx.addEventListener('complete', () => resolve());
      tx.addEventListener('error', () => reject(tx.error));
    });
    return changed;
  } finally {
    db.close();
  }
}

/** Deletes a database; resolves once deleted (other connections must close first). */
export function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.addEventListener('success', () => resolve());
    request.addEventListener('error', () => reject(request.error));
  });
}

export async function databaseNames(): Promise<string[]> {
  return (await indexedDB.databases()).map((d) => d.name ?? '');
}
