import { Inject, Injectable } from '@nestjs/common';
import { EVENT_BUS_RESOLVED_OPTIONS } from '../../event-bus.constants';
import type { ResolvedEventBusOptions } from '../../interfaces/event-bus-options.interface';
import type { EventEnvelope } from '../../envelope/event-envelope.interface';
import { EventTypeRegistry } from '../../envelope/event-type.registry';
import { HandlerDefinition, HandlerRegistry } from '../../discovery/handler.registry';
import { InvalidEventError } from '../../errors/invalid-event.error';
import { unknownEventType } from '../../event-bus.messages';

/** Where a decoded event goes in one consumer group. */
export type Route =
  | { readonly kind: 'invalid'; readonly error: unknown }
  | { readonly kind: 'skip' }
  | { readonly kind: 'handle'; readonly handlers: readonly HandlerDefinition[] };

const SKIP: Route = { kind: 'skip' };

/**
 * Step 2, route: the handlers of the group for the event's type. An event addressed to another
 * service, or of a known type the group does not handle, is skipped; a type nobody registered
 * is invalid (a topic may carry several types, but only known ones).
 */
@Injectable()
export class RouteStep {
  constructor(
    @Inject(EVENT_BUS_RESOLVED_OPTIONS) private readonly options: ResolvedEventBusOptions,
    private readonly types: EventTypeRegistry,
    private readonly handlers: HandlerRegistry,
  ) {}

  route(group: string, envelope: EventEnvelope): Route {
    if (envelope.destination && envelope.destination !== this.options.serviceId) return SKIP;
    const handlers = this.handlers.forEvent(group, envelope.type);
    if (handlers.length > 0) return { kind: 'handle', handlers };
    if (this.types.has(envelope.type)) return SKIP;
    return {
      kind: 'invalid',
      error: new InvalidEventError('unknown_type', unknownEventType(envelope.type)),
    };
  }
}
