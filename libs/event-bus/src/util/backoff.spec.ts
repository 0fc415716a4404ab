import { backoffDelay, BackoffOptions } from './backoff';

const options: BackoffOptions = { initialMs: 100, maxMs: 1000, multiplier: 2, jitter: 0.5 };
const noJitter: BackoffOptions = { ...options, jitter: 0 };

describe('backoffDelay', () => {
  it('grows exponentially from initialMs', () => {
    expect([1, 2, 3, 4].map((attempt) => backoffDelay(attempt, noJitter))).toEqual([
      100, 200, 400, 800,
    ]);
  });

  it('never exceeds maxMs', () => {
    expect(backoffDelay(5, noJitter)).toBe(1000);
    expect(backoffDelay(60, noJitter)).toBe(1000);
  });

  it('treats attempt 0 and below like the first attempt', () => {
    expect(backoffDelay(0, noJitter)).toBe(100);
    expect(backoffDelay(-3, noJitter)).toBe(100);
  });

  it('takes away up to `jitter` of the delay: the smallest random gives the lower bound', () => {
    expect(backoffDelay(1, options, () => 0)).toBe(50);
    expect(backoffDelay(3, options, () => 0)).toBe(200);
    expect(backoffDelay(9, options, () => 0)).toBe(500);
  });

  it('keeps the full delay when the random is at its top', () => {
    expect(backoffDelay(1, options, () => 0.999999)).toBe(100);
    expect(backoffDelay(9, options, () => 0.999999)).toBe(1000);
  });

  it('lands in between for a random in between', () => {
    expect(backoffDelay(2, options, () => 0.5)).toBe(150);
    expect(backoffDelay(2, { ...options, jitter: 1 }, () => 0.25)).toBe(50);
  });

  it('stays within [capped × (1 − jitter), capped] for any random value', () => {
    for (let attempt = 1; attempt <= 8; attempt++) {
      const capped = Math.min(1000, 100 * 2 ** (attempt - 1));
      for (let i = 0; i <= 100; i++) {
        const delay = backoffDelay(attempt, options, () => i / 101);
        expect(delay).toBeGreaterThanOrEqual(Math.round(capped * 0.5));
        expect(delay).toBeLessThanOrEqual(capped);
      }
    }
  });

  it('uses Math.random by default and stays in bounds', () => {
    for (let i = 0; i < 200; i++) {
      const delay = backoffDelay(3, options);
      expect(delay).toBeGreaterThanOrEqual(200);
      expect(delay).toBeLessThanOrEqual(400);
    }
  });
});
