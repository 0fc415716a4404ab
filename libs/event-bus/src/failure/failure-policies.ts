import type { RetryOptions } from '../interfaces/event-bus-options.interface';
import type {
  FailureDecision,
  FailurePolicy,
  HandlerFailure,
} from '../interfaces/failure-policy.interface';
import { backoffDelay } from '../util/backoff';

const WAIT: FailureDecision = { action: 'wait' };
const DEAD_LETTER: FailureDecision = { action: 'dead-letter' };
const PARK: FailureDecision = { action: 'park' };

/**
 * The built-in failure policies, to pass as `@EventSubscribe(Event, { onFailure })` or to
 * combine with policies of your own.
 *
 * @example
 * // An idempotent cache refresh: retry twice, then drop the event rather than dead-letter it.
 * @EventSubscribe(PriceChanged, {
 *   onFailure: FailurePolicies.firstOf(
 *     FailurePolicies.pauseOnTransient(),
 *     FailurePolicies.retryInPlace({ maxRetries: 2 }),
 *     FailurePolicies.discard('the next price change refreshes the cache'),
 *   ),
 * })
 */
export const FailurePolicies = {
  /**
   * What every handler does unless told otherwise: wait out an unavailable dependency, retry in
   * place with the handler's backoff, then dead-letter.
   */
  default(): FailurePolicy {
    return DEFAULT_FAILURE_POLICY;
  },

  /** Waits while the database or broker is unavailable, for as long as it takes. */
  pauseOnTransient(): FailurePolicy {
    return (failure) => (failure.transient ? WAIT : undefined);
  },

  /**
   * Retries in place with exponential backoff while retries are left, unless the error is
   * permanent. The handler's `retry` by default; `overrides` replace parts of it.
   */
  retryInPlace(overrides: Partial<RetryOptions> = {}): FailurePolicy {
    return (failure) => {
      const retry = { ...failure.retry, ...overrides };
      if (failure.permanent || failure.attempt > retry.maxRetries) return undefined;
      return { action: 'retry', delayMs: backoffDelay(failure.attempt, retry) };
    };
  },

  /** Sends the record to its dead-letter topic. */
  deadLetter(): FailurePolicy {
    return () => DEAD_LETTER;
  },

  /** Keeps the record whole in the `event_dead_letter` table instead of a dead-letter topic. */
  park(): FailurePolicy {
    return () => PARK;
  },

  /** Drops the event for this handler, logging `reason` and reporting it as `discarded`. */
  discard(reason: string): FailurePolicy {
    const decision: FailureDecision = { action: 'discard', reason };
    return () => decision;
  },

  /** Asks each policy in turn; the first decision wins. */
  firstOf(...policies: FailurePolicy[]): FailurePolicy {
    return async (failure: HandlerFailure) => {
      for (const policy of policies) {
        const decision = await policy(failure);
        if (decision) return decision;
      }
      return undefined;
    };
  },
} as const;

/** Kept synchronous: it runs on every failed attempt of every handler without its own policy. */
const DEFAULT_FAILURE_POLICY: FailurePolicy = (failure) => {
  if (failure.transient) return WAIT;
  if (!failure.permanent && failure.attempt <= failure.retry.maxRetries) {
    return { action: 'retry', delayMs: backoffDelay(failure.attempt, failure.retry) };
  }
  return DEAD_LETTER;
};
