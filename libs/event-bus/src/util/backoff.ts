export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  multiplier: number;
  /** Fraction of the delay randomised away, 0..1 ("equal jitter" when 0.5). */
  jitter: number;
}

/**
 * Exponential backoff with jitter for the `attempt`-th retry (1-based). Jitter spreads retries of
 * many records so they do not hit a recovering broker or database at the same instant.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const exponential = options.initialMs * Math.pow(options.multiplier, Math.max(0, attempt - 1));
  const capped = Math.min(options.maxMs, exponential);
  const spread = capped * options.jitter;
  return Math.round(capped - spread + random() * spread);
}
