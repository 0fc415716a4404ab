import type { Type } from '@nestjs/common';
import { EVENT_SUBSCRIBE_METADATA } from '../event-bus.constants';
import type { RetryOptions } from '../interfaces/event-bus-options.interface';
import type { FailurePolicy } from '../interfaces/failure-policy.interface';

/**
 * Options of `@EventSubscribe()`: the handler's stable id, its consumer group, its retries and
 * what follows a failed attempt.
 */
export interface EventSubscribeOptions {
  /** Stable handler id keying the inbox; `ClassName.methodName` by default. */
  id?: string;
  /** Consumer group; the module's `consumer.groupId` by default. */
  group?: string;
  /** Overrides `consumer.retry` for this handler. */
  retry?: Partial<RetryOptions>;
  /**
   * What follows a failed attempt (see `FailurePolicies`); by default, wait out an unavailable
   * database or broker, retry in place with `retry`, then dead-letter.
   */
  onFailure?: FailurePolicy;
}

export interface EventSubscribeMetadata {
  event: Type<object>;
  options: EventSubscribeOptions;
}

/**
 * Subscribes a provider method to an event class. The method runs once per event id (its
 * database writes through `ctx.manager` commit with the inbox row), after the publisher's
 * transaction committed.
 *
 * @example
 * @EventSubscribe(UserRegistered)
 * async onRegistered(event: UserRegistered, ctx: EventContext) {
 *   await ctx.manager.insert(UserProfile, { userId: event.userId });
 * }
 */
export function EventSubscribe(
  event: Type<object>,
  options: EventSubscribeOptions = {},
): MethodDecorator {
  return (target, propertyKey, descriptor) => {
    const existing: EventSubscribeMetadata[] =
      Reflect.getMetadata(EVENT_SUBSCRIBE_METADATA, descriptor.value as object) ?? [];
    Reflect.defineMetadata(
      EVENT_SUBSCRIBE_METADATA,
      [...existing, { event, options }],
      descriptor.value as object,
    );
    return descriptor;
  };
}
