import { EventBusError } from './event-bus.error';

/** The transport could not send or receive; retriable unless the broker said otherwise. */
export class TransportError extends EventBusError {
  constructor(message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, { retriable: options.retriable ?? true, cause: options.cause });
  }
}

/** A bounded queue is full and its overflow policy is `reject`. */
export class BackpressureError extends TransportError {
  constructor(message: string) {
    super(message, { retriable: true });
  }
}
