// The cross-process lock around the sample-slide generation (scripts/lib/sample-slides.mjs,
// scripts/lib/dir-lock.mjs): `npm run demo` on a fresh clone while `npm test` makes the samples.
// The harness of test/helpers/script-sandbox.ts (as install-edge-cases.test.ts): the real module runs in child Node processes, on a copy
// of scripts/lib in a temporary "repository" (REPO_ROOT is derived from the module's location) that
// holds a copy of the real samples with one file of 'jpeg2000' gone (so that sample is made again),
// with fake programs first on PATH: vips does nothing and OrthancWSIDicomizer "writes" the sample by
// copying the real one's files, after logging who called it and the lock's owner record at that
// moment. A gated dicomizer (GATE set) also announces its start with a file and waits for a "go"
// file, which holds a generation (and so the lock) open for as long as a test needs.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { REAL_SLIDES, ensureSlidesCode, manifestOf, needSlides, scriptSandbox } from '../helpers/script-sandbox.js';

const { fakeBin, tempRepo } = scriptSandbox('sample-slides-lock');

interface Repo {
  repo: string;
  lockDir: string;
  /** One line per dicomizer run: `<LABEL> ppid=<node pid> owner=<owner.json of the lock, or empty>`. */
  calls: string;
  /** Where a gated dicomizer writes `<LABEL>.started` and waits for `go`. */
  gate: string;
  env: NodeJS.ProcessEnv;
}

/** A temporary "repository": scripts/lib copied, node_modules linked, the real samples copied. */
function repoWithSlides({ complete = false } = {}): Repo {
  const repo = tempRepo('clone');
  const slides = join(repo, '.data', 'slides');
  cpSync(REAL_SLIDES, slides, { recursive: true });
  if (!complete) {
    const file = readdirSync(join(slides, 'jpeg2000')).find((name) => name.endsWith('.dcm'));
    unlinkSync(join(slides, 'jpeg2000', file!));
  }
  const calls = join(repo, 'dicomizer-calls.log');
  const gate = join(repo, 'gate');
  mkdirSync(gate);
  const bin = fakeBin({
    vips: 'exit 0',
    OrthancWSIDicomizer: `out=""; while [ $# -gt 0 ]; do [ "$1" = --folder ] && out=$2; shift; done
printf '%s ppid=%s owner=%s\\n' "$LABEL" "$PPID" "$(cat "$REPO/.data/slides.lock/owner.json" 2>/dev/null)" >> "$CALLS"
if [ -n "$GATE" ]; then : > "$GATE/$LABEL.started"; while [ ! -e "$GATE/go" ]; do sleep 0.02; done; fi
[ "$DICOMIZER_FROM" = fail ] && { echo "dicomizer interrupted" >&2; exit 130; }
cp "${REAL_SLIDES}/jpeg2000"/*.dcm "$out"/`,
  });
  return {
    repo,
    lockDir: join(repo, '.data', 'slides.lock'),
    calls,
    gate,
    env: { PATH: `${bin}:${process.env.PATH}`, REPO: repo, CALLS: calls, LABEL: 'run' },
  };
}

function runEnsure(r: Repo, env: NodeJS.ProcessEnv = {}, options?: string) {
  return spawnSync(process.execPath, ['--input-type=module', '-e', ensureSlidesCode(r.repo, options)], {
    cwd: r.repo,
    env: { ...r.env, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30_000,
  });
}

interface Running {
  pid: number;
  stdout: () => string;
  exited: () => boolean;
  done: Promise<{ status: number | null; stdout: string; stderr: string }>;
  kill: () => void;
}

function startEnsure(r: Repo, env: NodeJS.ProcessEnv): Running {
  const child = spawn(process.execPath, ['--input-type=module', '-e', ensureSlidesCode(r.repo)], {
    cwd: r.repo,
    env: { ...r.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let exited = false;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (status) => {
      exited = true;
      resolve({ status, stdout, stderr });
    });
  });
  if (child.pid === undefined) throw new Error('could not start node');
  return {
    pid: child.pid,
    stdout: () => stdout,
    exited: () => exited,
    done,
    kill: () => {
      if (!exited) child.kill('SIGKILL');
    },
  };
}

/** Resolves when `condition` holds (looked at every 20 ms), fails with `what` after 20 s. */
function until(what: string, condition: () => boolean): Promise<void> {
  return vi.waitFor(
    () => {
      if (!condition()) throw new Error(`timed out waiting for ${what}`);
    },
    { timeout: 20_000, interval: 20 },
  );
}

interface Call {
  label: string;
  ppid: number;
  owner: { pid: number } | undefined;
}

function callsOf(r: Repo): Call[] {
  if (!existsSync(r.calls)) return [];
  return readFileSync(r.calls, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const match = /^(\S*) ppid=(\d+) owner=(.*)$/.exec(line);
      if (match === null) throw new Error(`unexpected dicomizer log line: ${line}`);
      return { label: match[1]!, ppid: Number(match[2]), owner: match[3] === '' ? undefined : JSON.parse(match[3]!) };
    });
}

/** A lock as dir-lock.mjs writes it, held by `pid` since `startedAt` (now: after `pid` started). */
function writeLock(lockDir: string, pid: number, startedAt = new Date().toISOString()): void {
  mkdirSync(lockDir, { recursive: true });
  writeFileSync(join(lockDir, 'owner.json'), `${JSON.stringify({ pid, startedAt })}\n`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

const lines = (text: string, part: string) => text.split('\n').filter((line) => line.includes(part));

describe('sample-slides.mjs: the generation lock (.data/slides.lock)', () => {
  // A missing prerequisite fails every test here (npm test makes the slides); never a silent skip.
  beforeAll(needSlides);

  it('a lock left by a dead process is taken over (one message), the generation runs under the new lock, and it is released', () => {
    const r = repoWithSlides();
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    expect(isAlive(dead)).toBe(false);
    writeLock(r.lockDir, dead);
    const result = runEnsure(r);
    expect(result.status, result.stderr).toBe(0);
    expect(lines(result.stdout, 'taking over')).toEqual([
      expect.stringMatching(new RegExp(`^\\[slides\\] taking over the lock .*slides\\.lock left by pid ${dead}\\b`)),
    ]);
    expect(callsOf(r)).toEqual([
      { label: 'run', ppid: result.pid, owner: expect.objectContaining({ pid: result.pid }) },
    ]);
    expect(Object.keys(manifestOf(result.stdout).slides)).toEqual(['jpeg', 'jpeg2000', 'none', 'split']);
    expect(readdirSync(join(r.repo, '.data'))).toEqual(['slides']);
  }, 30_000);

  it('a lock whose pid now names a process that started after it (a reused pid) is taken over, not waited for', () => {
    const r = repoWithSlides();
    // A live process that cannot have written a lock of 2020.
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      expect(isAlive(other.pid!)).toBe(true);
      writeLock(r.lockDir, other.pid!, '2020-01-02T03:04:05.000Z');
      const result = runEnsure(r, {}, '{ lockTimeoutMs: 2000 }');
      expect(result.status, result.stderr).toBe(0);
      expect(lines(result.stdout, 'waiting for')).toEqual([]);
      expect(lines(result.stdout, 'taking over')).toEqual([
        expect.stringContaining(`left by pid ${other.pid} (since 2020-01-02T03:04:05.000Z)`),
      ]);
      expect(callsOf(r).map((call) => call.label)).toEqual(['run']);
    } finally {
      other.kill('SIGKILL');
    }
  }, 30_000);

  it('a lock held by a live process makes a second run wait for it, then reuse what it made without generating again', async () => {
    const r = repoWithSlides();
    const gated = { GATE: r.gate };
    const first = startEnsure(r, { ...gated, LABEL: 'first' });
    let second: Running | undefined;
    try {
      await until('the first run to reach the dicomizer', () => existsSync(join(r.gate, 'first.started')));
      const waiting = `waiting for sample-slide generation by pid ${first.pid}`;
      const started = startEnsure(r, { ...gated, LABEL: 'second' });
      second = started;
      await until(
        'the second run to wait, generate or end',
        () => started.stdout().includes(waiting) || existsSync(join(r.gate, 'second.started')) || started.exited(),
      );
      // Without the lock the second run makes the same sample at the same time.
      expect(callsOf(r).map((call) => call.label)).toEqual(['first']);
      expect(started.exited()).toBe(false);

      writeFileSync(join(r.gate, 'go'), '');
      const [a, b] = await Promise.all([first.done, started.done]);
      expect(a.status, a.stderr).toBe(0);
      expect(b.status, b.stderr).toBe(0);
      // Printed once, even with { quiet: true }.
      expect(lines(b.stdout, 'waiting for')).toEqual([expect.stringContaining(waiting)]);
      expect(callsOf(r)).toEqual([
        { label: 'first', ppid: first.pid, owner: expect.objectContaining({ pid: first.pid }) },
      ]);
      expect(manifestOf(b.stdout)).toEqual(manifestOf(a.stdout));
      expect(readdirSync(join(r.repo, '.data'))).toEqual(['slides']);
    } finally {
      writeFileSync(join(r.gate, 'go'), '');
      first.kill();
      second?.kill();
      await Promise.all([first.done, second?.done]);
    }
  }, 30_000);

  it('the lock is released when the generation throws', () => {
    const r = repoWithSlides();
    const failed = runEnsure(r, { DICOMIZER_FROM: 'fail' });
    expect(failed.status).toBe(3);
    expect(failed.stderr).toContain('dicomizer interrupted');
    // The failing generation ran holding the lock...
    expect(callsOf(r)).toEqual([
      { label: 'run', ppid: failed.pid, owner: expect.objectContaining({ pid: failed.pid }) },
    ]);
    // ...which is gone (no temporary lock folders left either), so the next run neither waits nor takes over.
    expect(readdirSync(join(r.repo, '.data'))).toEqual(['slides']);
    const next = runEnsure(r, { LABEL: 'next' });
    expect(next.status, next.stderr).toBe(0);
    expect(next.stdout).not.toMatch(/waiting for|taking over/);
    expect(callsOf(r).map((call) => call.label)).toEqual(['run', 'next']);
  }, 30_000);

  it('with every sample present no lock is looked at: a held lock does not delay the run', () => {
    const r = repoWithSlides({ complete: true });
    // Held by this (live) test process.
    writeLock(r.lockDir, process.pid);
    const owner = readFileSync(join(r.lockDir, 'owner.json'), 'utf8');
    const result = runEnsure(r, {}, '{ quiet: true, lockTimeoutMs: 1000 }');
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).not.toContain('waiting for');
    expect(callsOf(r)).toEqual([]);
    expect(readFileSync(join(r.lockDir, 'owner.json'), 'utf8')).toBe(owner);
  }, 30_000);

  it('a live holder that never releases: the run gives up after lockTimeoutMs, naming the lock, the pid and how to remove it', () => {
    const r = repoWithSlides();
    writeLock(r.lockDir, process.pid);
    const owner = readFileSync(join(r.lockDir, 'owner.json'), 'utf8');
    const result = runEnsure(r, {}, '{ quiet: true, lockTimeoutMs: 500 }');
    expect(result.status).toBe(3);
    expect(lines(result.stdout, 'waiting for')).toEqual([
      expect.stringContaining(`waiting for sample-slide generation by pid ${process.pid}`),
    ]);
    const thrown = lines(result.stderr, 'THROWN').join('\n');
    expect(thrown).toContain(r.lockDir);
    expect(thrown).toContain(`pid ${process.pid}`);
    expect(thrown).toContain(`rm -r '${r.lockDir}'`);
    // It neither generated nor touched the other process's lock.
    expect(callsOf(r)).toEqual([]);
    expect(readFileSync(join(r.lockDir, 'owner.json'), 'utf8')).toBe(owner);
  }, 30_000);
});
