import { Injectable, Type } from '@nestjs/common';
import type { EventEnvelope } from '../../envelope/event-envelope.interface';
import { EventTypeRegistry } from '../../envelope/event-type.registry';
import { UpcasterRegistry } from '../../envelope/upcaster.registry';
import { InvalidEventError } from '../../errors/invalid-event.error';
import { dataNotAnObject, futureEventVersion, unknownEventType } from '../../event-bus.messages';

/**
 * Step 3, upcast, per handler: the envelope's data brought to the version of the class the
 * handler subscribed to, through the registered upcasters. A type the class does not stand for,
 * or a version newer than it, is invalid for that handler.
 */
@Injectable()
export class UpcastStep {
  constructor(
    private readonly types: EventTypeRegistry,
    private readonly upcasters: UpcasterRegistry,
  ) {}

  upcast(envelope: EventEnvelope, target: Type<object>): object {
    const definition = this.types.forClass(target);
    if (!this.types.has(envelope.type) || definition.type !== envelope.type) {
      throw new InvalidEventError('unknown_type', unknownEventType(envelope.type));
    }
    if (envelope.version > definition.version) {
      throw new InvalidEventError(
        'unsupported_version',
        futureEventVersion(envelope.type, envelope.version, definition.version),
      );
    }
    const data = this.upcasters.upcast(
      envelope.type,
      envelope.data,
      envelope.version,
      definition.version,
    );
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      throw new InvalidEventError('validation_failed', dataNotAnObject(envelope.type));
    }
    return data;
  }
}
