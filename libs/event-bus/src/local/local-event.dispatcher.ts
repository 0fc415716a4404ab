import { Inject, Injectable, Type } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { EVENT_BUS_RESOLVED_OPTIONS } from '../event-bus.constants';
import type { ResolvedEventBusOptions } from '../interfaces/event-bus-options.interface';
import type { EventContext } from '../interfaces/event-context.interface';
import { EventDefinition, EventTypeRegistry } from '../envelope/event-type.registry';
import { HandlerDefinition, HandlerRegistry } from '../discovery/handler.registry';
import { UnitOfWork } from '../storage/unit-of-work';

interface Route {
  definition: EventDefinition;
  handlers: HandlerDefinition[];
}

/**
 * In-process dispatch to this application's own handlers: no outbox, no broker, no inbox, no
 * transaction. At most once and gone on a crash, so only for events whose loss is harmless
 * (cache invalidation, in-process notifications); use `EventPublisher` for everything else.
 * Handlers run one after another, each awaited, and a handler's error rejects the dispatch.
 *
 * @example
 * await localEvents.dispatch(new CacheInvalidated(userId));
 */
@Injectable()
export class LocalEventDispatcher {
  private readonly routes = new Map<Type<object>, Route>();

  constructor(
    @Inject(EVENT_BUS_RESOLVED_OPTIONS) private readonly options: ResolvedEventBusOptions,
    private readonly types: EventTypeRegistry,
    private readonly handlers: HandlerRegistry,
    private readonly db: UnitOfWork,
  ) {}

  async dispatch(event: object): Promise<void> {
    const route = this.route(event.constructor as Type<object>);
    const shared: DispatchState = {};
    for (const handler of route.handlers) {
      const context = new LocalEventContext(
        this.options.serviceId,
        route.definition,
        event,
        handler.id,
        this.db,
        shared,
      );
      const result = handler.call(event, context);
      if (result instanceof Promise) await result;
    }
  }

  /** Handlers of exactly this class (another version of the type would need upcasting). */
  private route(target: Type<object>): Route {
    let route = this.routes.get(target);
    if (!route) {
      route = {
        definition: this.types.forClass(target),
        handlers: this.handlers.all().filter((h) => h.event.target === target),
      };
      this.routes.set(target, route);
    }
    return route;
  }
}

/** What every handler of one dispatch shares: one event id, one time. */
interface DispatchState {
  id?: string;
  at?: Date;
}

/** A context whose id, time and key are made only if a handler reads them. */
class LocalEventContext implements EventContext {
  readonly topic: string;
  readonly partition = -1;
  readonly offset = '-1';
  readonly attempt = 1;
  readonly correlationId = undefined;
  readonly traceparent = undefined;
  readonly headers = {};

  constructor(
    readonly source: string,
    private readonly definition: EventDefinition,
    private readonly event: object,
    readonly handlerId: string,
    private readonly db: UnitOfWork,
    private readonly shared: DispatchState,
  ) {
    this.topic = definition.topic;
  }

  get eventId(): string {
    this.shared.id ??= uuidv7();
    return this.shared.id;
  }

  get type(): string {
    return this.definition.type;
  }

  get version(): number {
    return this.definition.version;
  }

  get key(): string | null {
    return this.definition.key?.(this.event) ?? null;
  }

  get time(): Date {
    this.shared.at ??= new Date();
    return this.shared.at;
  }

  /** No transaction: writes through it are not atomic with anything. */
  get manager(): EntityManager {
    return this.db.autoCommit() as EntityManager;
  }
}
