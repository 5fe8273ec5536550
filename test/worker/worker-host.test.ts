// The worker side answers every failure as a FrameCacheError, and the page side turns whatever
// crosses into one: no DOMException (or other error) reaches a caller of the facade.
import { describe, expect, it } from 'vitest';
import { FrameCacheError, deserializeError, serializeError } from '../../src/shared/errors.js';
import { WorkerHost } from '../../src/worker/worker-host.js';

describe('WorkerHost errors', () => {
  it('a call for an engine the worker does not hold fails with closed', async () => {
    const host = new WorkerHost();
    const result = await host.stats(404);
    expect(result.ok).toBe(false);
    const error = deserializeError((result as { ok: false; error: Parameters<typeof deserializeError>[0] }).error);
    expect(error).toBeInstanceOf(FrameCacheError);
    expect(error).toMatchObject({ code: 'closed' });
  });

  it('a DOMException (or any error without our code) arrives as worker-crashed with the original as cause', () => {
    const error = deserializeError(serializeError(new DOMException('Could not clone', 'DataCloneError')));
    expect(error).toBeInstanceOf(FrameCacheError);
    expect(error.code).toBe('worker-crashed');
    expect(error.message).toContain('DataCloneError: Could not clone');
    expect(error.cause).toBeInstanceOf(Error);
    expect((error.cause as Error).name).toBe('DataCloneError');
  });

  it('a FrameCacheError crosses with its code and status', () => {
    const error = deserializeError(serializeError(new FrameCacheError('http', 'HTTP 503', { status: 503 })));
    expect(error).toMatchObject({ code: 'http', status: 503, message: 'HTTP 503' });
  });
});
