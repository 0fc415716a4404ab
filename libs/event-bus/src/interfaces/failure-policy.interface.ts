import type { RetryOptions } from './event-bus-options.interface';

/** One failed attempt of a handler at one event, as a failure policy sees it. */
export interface HandlerFailure {
  readonly handlerId: string;
  readonly group: string;
  readonly eventId: string;
  readonly type: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** Attempts that spent the retry budget, this one included: 1 on the first failure. */
  readonly attempt: number;
  /** Earlier waits for an unavailable database or broker at this event (they spend no retry). */
  readonly waits: number;
  readonly error: unknown;
  /** The database or broker is unavailable (`consumer.isTransient` and the built-in rules). */
  readonly transient: boolean;
  /**
   * A retry cannot succeed: the input is bad (it failed to upcast or validate) or the error is
   * marked non-retriable.
   */
  readonly permanent: boolean;
  /** The handler's retries: `consumer.retry` with its own `retry` merged over it. */
  readonly retry: RetryOptions;
}

/**
 * What the consumer does after a failed attempt. Every action but `retry` and `wait` ends the
 * handler's work on the event, and the record's offset is committed once all its handlers are
 * done; none of them drops the event without a trace.
 * - `wait`: hold the partition and try again once the dependency is back (`consumer.unavailableBackoff`), spending no retry;
 * - `retry`: hold the partition and try again after `delayMs`, spending one retry;
 * - `dead-letter`: the record goes to `<topic>.dlq` with the reasons;
 * - `park`: the record is kept whole in `event_dead_letter` (no dead-letter topic), listed and replayed with the CLI's `dlq parked` commands;
 * - `discard`: the event is dropped for this handler; logged with `reason` and reported as the outcome `discarded`.
 */
export type FailureDecision =
  | { readonly action: 'wait' }
  | { readonly action: 'retry'; readonly delayMs: number }
  | { readonly action: 'dead-letter' }
  | { readonly action: 'park' }
  | { readonly action: 'discard'; readonly reason: string };

/**
 * Decides what follows a handler's failed attempt (see `FailurePolicies` for the built-ins and
 * how to combine them). Returning nothing means no opinion: `FailurePolicies.firstOf` asks the
 * next policy, and the consumer dead-letters when no policy decided. A policy that throws, or
 * answers something it may not (an unknown action, a retry delay outside 0 to 24 h, `retry` or
 * `wait` for a `permanent` failure that is not `transient`), is logged and the record
 * dead-lettered. It runs outside the handler's transaction, which has rolled back,
 * while the partition waits for its answer.
 */
export type FailurePolicy = (
  failure: HandlerFailure,
) => FailureDecision | undefined | Promise<FailureDecision | undefined>;
