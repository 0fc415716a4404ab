/**
 * Base of every error the event bus raises. `retriable` tells the consumer pipeline whether a
 * retry can help (a database deadlock can, a malformed payload cannot).
 */
export class EventBusError extends Error {
  readonly retriable: boolean;

  constructor(message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
  }
}

/** True when the error says a retry cannot help; plain errors thrown by handlers are retried. */
export function isNonRetriable(error: unknown): boolean {
  return error instanceof EventBusError && !error.retriable;
}
