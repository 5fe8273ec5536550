/** Web Locks as the workers use them to tell the page (and each other) who is alive. */

/** Takes a lock for the rest of this worker's life; false where Web Locks do not exist. */
export function holdLock(name: string): Promise<boolean> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (locks === undefined) return Promise.resolve(false);
  return new Promise((resolve) => {
    locks
      .request(name, () => {
        resolve(true);
        return new Promise<void>(() => undefined); // held until the worker ends
      })
      .catch(() => resolve(false));
  });
}

/** Calls `onGone` once the holder of `name` (a tab) lets go of it: it closed or crashed. */
export function watchLock(name: string, onGone: () => void): void {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  locks?.request(name, () => onGone()).catch(() => undefined);
}
