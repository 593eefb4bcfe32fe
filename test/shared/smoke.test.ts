import { describe, expect, it } from 'vitest';
import { init, isInitialized, latencyStats, StateError } from '../../src/index.js';

describe('init', () => {
  it('is idempotent and enables the kernels', async () => {
    const a = init();
    const b = init();
    expect(a).toBe(b);
    await a;
    expect(isInitialized()).toBe(true);
    expect(latencyStats([3, 1, 2]).p50).toBe(2);
  });

  it('is a StateError type with a stable code', () => {
    const e = new StateError('NOT_INITIALIZED', 'x');
    expect(e.name).toBe('StateError');
    expect(e.code).toBe('NOT_INITIALIZED');
    expect(e).toBeInstanceOf(Error);
  });
});
