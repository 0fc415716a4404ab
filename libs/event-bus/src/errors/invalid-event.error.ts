import { EventBusError } from './event-bus.error';

/**
 * Why an incoming record cannot be turned into an event. Each reason is non-retriable: the record
 * goes to the dead-letter topic at once.
 */
export type InvalidEventReason =
  'malformed' | 'too_large' | 'unknown_type' | 'unsupported_version' | 'validation_failed';

/** A record that can never be processed (poison): it goes to the dead-letter topic at once, with `reason`. */
export class InvalidEventError extends EventBusError {
  constructor(
    readonly reason: InvalidEventReason,
    message: string,
    cause?: unknown,
  ) {
    super(message, { retriable: false, cause });
  }
}
