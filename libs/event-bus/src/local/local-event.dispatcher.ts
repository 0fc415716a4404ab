import { Inject, Injectable, Type } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { EVENT_BUS_RESOLVED_OPTIONS } from '../event-bus.constants';
import type { ResolvedEventBusOptions } from '../interfaces/event-bus-options.interface';
import type { EventContext } from '../interfaces/event-context.interface';
import { EventTypeRegistry } from '../envelope/event-type.registry';
import { HandlerDefinition, HandlerRegistry } from '../discovery/handler.registry';
import { TransactionRunner } from '../database/transaction-runner';

/**
 * In-process dispatch to this application's own handlers: no outbox, no broker, no inbox, no
 * transaction. At most once and gone on a crash, so only for events whose loss is harmless
 * (cache invalidation, in-process notifications); use `EventPublisher` for everything else.
 * Handlers run one after another and a handler's error rejects the dispatch.
 *
 * @example
 * await localEvents.dispatch(new CacheInvalidated(userId));
 */
@Injectable()
export class LocalEventDispatcher {
  private readonly cache = new Map<Type<object>, HandlerDefinition[]>();

  constructor(
    @Inject(EVENT_BUS_RESOLVED_OPTIONS) private readonly options: ResolvedEventBusOptions,
    private readonly types: EventTypeRegistry,
    private readonly handlers: HandlerRegistry,
    private readonly db: TransactionRunner,
  ) {}

  async dispatch(event: object): Promise<void> {
    const target = event.constructor as Type<object>;
    const handlers = this.handlersOf(target);
    if (handlers.length === 0) return;
    const definition = this.types.forClass(target);
    const context: Omit<EventContext, 'handlerId'> = {
      eventId: uuidv7(),
      type: definition.type,
      version: definition.version,
      key: definition.key?.(event) ?? null,
      source: this.options.serviceId,
      time: new Date(),
      topic: definition.topic,
      partition: -1,
      offset: '-1',
      attempt: 1,
      correlationId: undefined,
      traceparent: undefined,
      headers: {},
      manager: this.db.dataSource.manager,
    };
    for (const handler of handlers)
      await handler.invoke(event, { ...context, handlerId: handler.id });
  }

  /** Handlers of exactly this class (another version of the type would need upcasting). */
  private handlersOf(target: Type<object>): HandlerDefinition[] {
    let found = this.cache.get(target);
    if (!found) {
      found = this.handlers.all().filter((h) => h.event.target === target);
      this.cache.set(target, found);
    }
    return found;
  }
}
