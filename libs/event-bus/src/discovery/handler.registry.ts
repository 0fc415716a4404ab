import { Injectable } from '@nestjs/common';
import { EventBusConfigurationError } from '../errors/event-bus-configuration.error';
import { duplicateHandlerId, handlerAfterStart } from '../event-bus.messages';
import type { EventDefinition } from '../envelope/event-type.registry';
import type { EventContext } from '../interfaces/event-context.interface';
import type { RetryOptions } from '../interfaces/event-bus-options.interface';
import type { FailurePolicy } from '../interfaces/failure-policy.interface';

/** A discovered handler (an `@EventSubscribe` or `@EventPattern` method), ready to call. */
export interface HandlerDefinition {
  /** Stable id keying the inbox, e.g. `ProfileProjector.onUserRegistered`. */
  readonly id: string;
  readonly group: string;
  readonly event: EventDefinition;
  readonly retry: RetryOptions;
  /** What follows a failed attempt: its `onFailure`, or `FailurePolicies.default()`. */
  readonly onFailure: FailurePolicy;
  /** Calls the method and awaits it. */
  invoke(event: object, context: EventContext): Promise<void>;
  /** Calls the method and returns what it returns (a promise or not): the in-process fast path. */
  call(event: object, context: EventContext): unknown;
}

/** Every handler of this application, by group and event type. */
@Injectable()
export class HandlerRegistry {
  private readonly handlers = new Map<string, HandlerDefinition>();
  /** `forEvent` answers, kept because it runs for every record. */
  private readonly routes = new Map<string, HandlerDefinition[]>();
  private sealed = false;

  add(handler: HandlerDefinition): void {
    // The consumer subscribed with the handlers it had: a later one would never see an event.
    if (this.sealed) throw new EventBusConfigurationError(handlerAfterStart(handler.id));
    if (this.handlers.has(handler.id))
      throw new EventBusConfigurationError(duplicateHandlerId(handler.id));
    this.handlers.set(handler.id, handler);
    this.routes.clear();
  }

  /** Called as the consumer subscribes: from then on, `add` fails instead of being ignored. */
  seal(): void {
    this.sealed = true;
  }

  all(): HandlerDefinition[] {
    return [...this.handlers.values()];
  }

  /** Handlers grouped by consumer group, in registration order. */
  byGroup(): Map<string, HandlerDefinition[]> {
    const groups = new Map<string, HandlerDefinition[]>();
    for (const handler of this.handlers.values()) {
      groups.set(handler.group, [...(groups.get(handler.group) ?? []), handler]);
    }
    return groups;
  }

  forEvent(group: string, type: string): HandlerDefinition[] {
    const route = `${group}\u0000${type}`;
    let found = this.routes.get(route);
    if (!found) {
      found = this.all().filter((h) => h.group === group && h.event.type === type);
      this.routes.set(route, found);
    }
    return found;
  }
}
