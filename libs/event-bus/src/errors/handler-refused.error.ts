import { EventBusError } from './event-bus.error';
import { handlerRefusedByGuard } from '../event-bus.messages';

/**
 * A guard of the handler (`@UseGuards`, or a global one) refused the event. The consumer records
 * a `discarded` outcome for that handler and moves on: no retry, no dead letter, and no inbox
 * row, so a redelivery asks the guards again.
 */
export class HandlerRefusedError extends EventBusError {
  constructor(
    readonly handlerId: string,
    cause: unknown,
  ) {
    super(handlerRefusedByGuard(handlerId), { cause });
  }
}
