import { describe, expect, it } from 'vitest';
import { FrameCacheError } from '../../src/errors.js';
describe('FrameCacheError', () => {
  it('keeps its code', () => {
    expect(new FrameCacheError('http', 'x', { status: 503 }).status).toBe(503);
  });
});
