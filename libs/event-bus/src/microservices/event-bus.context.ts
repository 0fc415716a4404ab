import { BaseRpcContext } from '@nestjs/microservices';
import type { EntityManager } from 'typeorm';
import type { EventContext } from '../interfaces/event-context.interface';

/**
 * What `@Ctx()` gives an `@EventPattern` handler served by `EventBusServer`: the bus's
 * `EventContext`, whose `manager` is the transaction that also records the event in the inbox.
 *
 * @example
 * @EventPattern('user.registered')
 * async onRegistered(@Payload() event: UserRegistered, @Ctx() ctx: EventBusContext) {
 *   await ctx.manager.insert(Profile, { userId: event.userId });
 * }
 */
export class EventBusContext extends BaseRpcContext<[EventContext]> {
  constructor(context: EventContext) {
    super([context]);
  }

  /** The whole `EventContext`: type, version, key, source, topic, offset, correlation id, ... */
  get event(): EventContext {
    return this.args[0];
  }

  /** Writes through it commit with the event's inbox row: exactly once per event and handler. */
  get manager(): EntityManager {
    return this.args[0].manager;
  }

  get eventId(): string {
    return this.args[0].eventId;
  }

  /** 1 on the first try, then 2, 3, … */
  get attempt(): number {
    return this.args[0].attempt;
  }

  get partition(): number {
    return this.args[0].partition;
  }

  get headers(): Readonly<Record<string, string>> {
    return this.args[0].headers;
  }
}
