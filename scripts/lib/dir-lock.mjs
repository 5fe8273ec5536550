// A cross-process lock for synchronous scripts: a directory holding owner.json (pid, start time,
// a random token). The directory is made complete under a temporary name and renamed into place,
// which fails while another holder's directory is there, so the lock never exists without its owner
// record. A live holder is waited for (Atomics.wait between looks, no busy loop); a lock whose owner
// died (SIGKILL, a closed terminal) is taken over, as is one whose pid now names a zombie or a
// process that started after the lock was made (pids are reused, in containers above all; Linux's
// /proc says when a process started). Only pids of this machine (and pid namespace) are checked: a
// lock made by another container sharing the folder looks dead.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const OWNER_FILE = 'owner.json';
/** How long a waiter sleeps between two looks at the lock. */
const POLL_MS = 200;
/** A takeover guard this old was left by a process that died during its takeover (which takes microseconds). */
const STALE_TAKEOVER_MS = 10_000;
const SLEEP_CELL = new Int32Array(new SharedArrayBuffer(4));

/**
 * @typedef {{ pid: number, startedAt: string, token?: string }} LockOwner
 * @typedef {{ identity: string, text: string, owner: LockOwner | undefined }} LockState
 * @typedef {{ what: string, timeoutMs: number, log: (message: string) => void }} LockOptions
 *   what: what the holder does, for the messages ("sample-slide generation"); timeoutMs: how long to
 *   wait for other holders before throwing; log: prints the one-line messages (waiting, taking over).
 */

/**
 * Runs `action` holding the lock `lockDir` (its parent folder is made if missing), then releases it,
 * also when `action` throws.
 * @template T
 * @param {string} lockDir
 * @param {LockOptions} options
 * @param {() => T} action
 * @returns {T}
 */
export function withDirLock(lockDir, options, action) {
  const record = acquire(lockDir, options);
  try {
    return action();
  } finally {
    release(lockDir, record);
  }
}

/**
 * True unless `process.kill(pid, 0)` says there is no such process (ESRCH). EPERM is a live process
 * of another user.
 * @param {number} pid
 */
export function isProcessAlive(pid) {
  // 0 and negative numbers name process groups, which kill(…, 0) also "finds".
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return /** @type {NodeJS.ErrnoException} */ (error).code !== 'ESRCH';
  }
}

/** Ticks per second of /proc's times (USER_HZ: 100 on every architecture Debian builds for but alpha and ia64). */
const USER_HZ = 100;

/**
 * False when /proc says `pid` is not the process that wrote a lock at `startedAt`: a zombie, or a
 * process that started after it (a reused pid). True where /proc cannot say (not Linux).
 * @param {number} pid
 * @param {string} startedAt ISO time the owner wrote
 */
export function couldBeOwner(pid, startedAt) {
  let stat;
  let boot;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    boot = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
  } catch {
    return true;
  }
  // Fields after the command name (which may hold spaces and parentheses): state, ppid, ...
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return false;
  const startTicks = Number(fields[19]); // field 22, starttime, in ticks after boot
  const written = Date.parse(startedAt);
  if (!Number.isFinite(boot) || !Number.isFinite(startTicks) || Number.isNaN(written)) return true;
  // btime is in whole seconds: a second of slack.
  return (boot + startTicks / USER_HZ) * 1000 <= written + 1000;
}

/**
 * @param {string} lockDir
 * @param {LockOptions} options
 * @returns {string} the owner record written, which identifies this holding
 */
function acquire(lockDir, { what, timeoutMs, log }) {
  mkdirSync(dirname(lockDir), { recursive: true });
  const token = randomUUID();
  const record = `${JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString(), token })}\n`;
  const started = performance.now();
  /** @type {number | undefined} */
  let reportedPid;
  for (;;) {
    if (tryCreate(lockDir, record, token)) return record;
    const held = readLock(lockDir);
    // Released between the two looks: try again at once.
    if (held === undefined) continue;
    const owner = held.owner;
    // Our own pid in the lock is a previous process that had it (pids repeat, in containers above all).
    const dead =
      owner === undefined ||
      owner.pid === process.pid ||
      !isProcessAlive(owner.pid) ||
      !couldBeOwner(owner.pid, owner.startedAt);
    if (dead && takeOver(lockDir, held, log)) continue;
    if (performance.now() - started >= timeoutMs) {
      const holder = owner === undefined ? 'a process' : `pid ${owner.pid} (since ${owner.startedAt})`;
      throw new Error(
        `Gave up after ${Math.round(timeoutMs / 1000)} s waiting for ${what} by ${holder}, which holds the lock ` +
          `${lockDir}. If no such process is running any more, remove the lock and run again: rm -r '${lockDir}'`,
      );
    }
    if (!dead && owner !== undefined && reportedPid !== owner.pid) {
      log(`waiting for ${what} by pid ${owner.pid} (lock ${lockDir}, held since ${owner.startedAt})`);
      reportedPid = owner.pid;
    }
    Atomics.wait(SLEEP_CELL, 0, 0, POLL_MS);
  }
}

/**
 * Puts the lock in place with `record` inside, unless another holder's lock is there.
 * @param {string} lockDir
 * @param {string} record
 * @param {string} token
 * @returns {boolean}
 */
function tryCreate(lockDir, record, token) {
  const temp = `${lockDir}.${process.pid}-${token}.new`;
  mkdirSync(temp);
  try {
    writeFileSync(join(temp, OWNER_FILE), record);
    // A directory replaces only a missing or empty one: a lock always holds its owner file.
    renameSync(temp, lockDir);
    return true;
  } catch (error) {
    const code = /** @type {NodeJS.ErrnoException} */ (error).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR') return false;
    throw error;
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

/**
 * @param {string} lockDir
 * @returns {LockState | undefined} undefined when there is no lock
 */
function readLock(lockDir) {
  let ino;
  try {
    ino = statSync(lockDir).ino;
  } catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error).code === 'ENOENT') return undefined;
    throw error;
  }
  let text = '';
  /** @type {LockOwner | undefined} */
  let owner;
  try {
    text = readFileSync(join(lockDir, OWNER_FILE), 'utf8');
    const parsed = JSON.parse(text);
    if (Number.isInteger(parsed?.pid)) owner = { pid: parsed.pid, startedAt: String(parsed.startedAt) };
  } catch {
    // No (readable) owner: not a lock this module made, or it was just released.
  }
  // The inode alone could be reused by a later lock; the record has a random token.
  return { identity: `${ino}:${text}`, text, owner };
}

/**
 * Removes the lock seen as `held` (its owner is dead) if it is still that one. Takeovers go one at a
 * time (the `.takeover` guard), so two waiters that saw the same dead owner cannot remove, between
 * them, the lock one of them has just made.
 * @param {string} lockDir
 * @param {LockState} held
 * @param {(message: string) => void} log
 * @returns {boolean} false when another process is taking over (look again later)
 */
function takeOver(lockDir, held, log) {
  const guard = `${lockDir}.takeover`;
  try {
    mkdirSync(guard);
  } catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'EEXIST') throw error;
    try {
      if (Date.now() - statSync(guard).mtimeMs > STALE_TAKEOVER_MS) rmSync(guard, { recursive: true, force: true });
    } catch {
      // Gone meanwhile.
    }
    return false;
  }
  try {
    const now = readLock(lockDir);
    if (now === undefined || now.identity !== held.identity) return true;
    removeLockDir(lockDir);
    const owner = held.owner;
    log(
      owner === undefined
        ? `taking over the lock ${lockDir}: it has no owner record`
        : `taking over the lock ${lockDir} left by pid ${owner.pid} (since ${owner.startedAt}), which is no longer running` +
            (isProcessAlive(owner.pid) ? ' (its pid now names another process)' : ''),
    );
    return true;
  } finally {
    rmSync(guard, { recursive: true, force: true });
  }
}

/**
 * Releases the lock if it is still the one `record` made. Never throws: `action`'s error, if any, is
 * the one to see, and a lock left with this pid is taken over once this process has ended.
 * @param {string} lockDir
 * @param {string} record
 */
function release(lockDir, record) {
  try {
    if (readLock(lockDir)?.text !== record) {
      console.warn(`[lock] ${lockDir} is no longer held by this process (pid ${process.pid}); leaving it`);
      return;
    }
    removeLockDir(lockDir);
  } catch (error) {
    console.warn(`[lock] could not release ${lockDir}: ${/** @type {Error} */ (error).message}`);
  }
}

/**
 * Moved aside in one step, then deleted: the lock is never seen half-removed (without its owner file).
 * @param {string} lockDir
 */
function removeLockDir(lockDir) {
  const trash = `${lockDir}.${process.pid}-${randomUUID()}.old`;
  renameSync(lockDir, trash);
  rmSync(trash, { recursive: true, force: true });
}
