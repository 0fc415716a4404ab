import { EventBusError } from './event-bus.error';

/** Publishing was refused: no transaction, an unregistered event class, an invalid key. */
export class PublishError extends EventBusError {
  constructor(message: string, cause?: unknown) {
    super(message, { retriable: false, cause });
  }
}
