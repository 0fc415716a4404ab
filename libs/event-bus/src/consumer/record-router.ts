import { Inject, Injectable } from '@nestjs/common';
import { EVENT_BUS_RESOLVED_OPTIONS } from '../event-bus.constants';
import type { ResolvedEventBusOptions } from '../interfaces/event-bus-options.interface';
import type { IncomingRecord } from '../transports/event-transport.interface';
import type { EventEnvelope } from '../envelope/event-envelope.interface';
import { CloudEventCodec } from '../envelope/cloud-event.codec';
import { EventTypeRegistry } from '../envelope/event-type.registry';
import { HandlerDefinition, HandlerRegistry } from '../discovery/handler.registry';
import { InvalidEventError } from '../errors/invalid-event.error';
import { unknownEventType } from '../event-bus.messages';

/** What a consumer group does with one record. */
export type RecordRoute =
  /** Unusable: goes to the dead-letter topic with `error`. */
  | { kind: 'invalid'; error: unknown }
  /** Addressed to another service, or of a known type this group has no handler for. */
  | { kind: 'skip'; envelope: EventEnvelope }
  | { kind: 'handle'; envelope: EventEnvelope; handlers: HandlerDefinition[] };

/**
 * Decides, in one place for the batch and the per-record paths, whether a record is handled,
 * skipped or dead-lettered.
 */
@Injectable()
export class RecordRouter {
  constructor(
    @Inject(EVENT_BUS_RESOLVED_OPTIONS) private readonly options: ResolvedEventBusOptions,
    private readonly codec: CloudEventCodec,
    private readonly types: EventTypeRegistry,
    private readonly handlers: HandlerRegistry,
  ) {}

  route(group: string, record: IncomingRecord): RecordRoute {
    let envelope: EventEnvelope;
    try {
      envelope = this.codec.decode(record);
    } catch (error) {
      return { kind: 'invalid', error };
    }
    if (envelope.destination && envelope.destination !== this.options.serviceId) {
      return { kind: 'skip', envelope };
    }
    const handlers = this.handlers.forEvent(group, envelope.type);
    if (handlers.length > 0) return { kind: 'handle', envelope, handlers };
    // A topic may carry types this group does not handle; only a type nobody knows is an error.
    if (this.types.has(envelope.type)) return { kind: 'skip', envelope };
    return {
      kind: 'invalid',
      error: new InvalidEventError('unknown_type', unknownEventType(envelope.type)),
    };
  }
}
