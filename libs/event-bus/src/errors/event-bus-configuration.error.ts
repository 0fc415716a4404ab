import { EventBusError } from './event-bus.error';

/** A bad option or a broken contract found at startup; the application must not start. */
export class EventBusConfigurationError extends EventBusError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { retriable: false, cause: options.cause });
  }
}
