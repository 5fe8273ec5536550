/**
 * Crash / restart / teardown edge cases of WorkerConnection and FrameCache over in-process
 * MessageChannels. Found by a review (2026-12-06); the test failed before its fix
 * (docs/reliability.md, "Found by an adversarial review").
 */
import type { MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FrameCache, type FrameCacheFacadeOptions } from '../../src/page/frame-cache.js';
import { WorkerHost } from '../../src/worker/worker-host.js';
import type { WorkerLike } from '../../src/page/worker-connection.js';
import { inProcessWorker } from '../helpers/in-process-worker.js';
import type { CreateEngineRequest } from '../../src/shared/protocol.js';
import { FakeSource } from '../helpers/fake-source.js';
import { URL_A } from '../helpers/engine.js';

const inst = (url: string, frameCount: number) => ({ url, frameCount });

interface Worker {
  host: RecordingHost;
  port: MessagePort;
}

class RecordingHost extends WorkerHost {
  readonly created: number[] = [];
  helloGate: Promise<void> | undefined;
  override async hello(lockName: string | undefined, tabLockName?: string) {
    if (this.helloGate) await this.helloGate;
    return super.hello(lockName, tabLockName);
  }
  override create(request: CreateEngineRequest, callbacks: never) {
    this.created.push(request.engineId);
    return super.create(request, callbacks);
  }
}

const open: FrameCache[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(open.splice(0).map((c) => c.close().catch(() => undefined)));
});

function harness(options: FrameCacheFacadeOptions = {}) {
  const source = new FakeSource();
  const workers: Worker[] = [];
  let beforeMake: ((host: RecordingHost, index: number) => void) | undefined;
  const createWorker = (): WorkerLike => {
    const host = new RecordingHost({ engineOptions: { source } });
    beforeMake?.(host, workers.length);
    const ports: MessagePort[] = [];
    const worker = inProcessWorker(() => host, ports)();
    workers.push({ host, port: ports[0]! });
    return worker;
  };
  const cache = new FrameCache({
    createWorker,
    hint: 'minimize-requests',
    wholeInstanceMaxFrames: 0,
    framesPerMiss: 1,
    ...options,
  });
  open.push(cache);
  return {
    cache,
    source,
    workers,
    onMake: (fn: (host: RecordingHost, index: number) => void) => (beforeMake = fn),
    crash: (i: number) => workers[i]!.port.dispatchEvent(new Event('error') as never),
  };
}

describe('teardown leaks', () => {
  it('a crash during the restart handshake leaves no start-timeout timer behind', async () => {
    const { cache, workers, crash, onMake } = harness();
    await cache.getFrame(inst(URL_A, 3), 1);
    onMake((host, i) => {
      if (i === 1) host.helloGate = new Promise(() => undefined);
    });
    crash(0);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const pending = cache.getFrame(inst(URL_A, 3), 2);
    pending.catch(() => undefined);
    await expect.poll(() => workers.length).toBe(2);
    crash(1);
    await expect(pending).rejects.toMatchObject({ code: 'worker-crashed' });
    await cache.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});
