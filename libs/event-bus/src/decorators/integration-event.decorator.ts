import { EVENT_METADATA } from '../event-bus.constants';

/** Options of `@IntegrationEvent()`: the name, version and partition key of an event class. */
export interface IntegrationEventOptions<T = object> {
  /** Stable name of the event on the wire (`ce_type`), e.g. `user.registered`. */
  type: string;
  /** Schema version (`ce_dataversion`); raise it with an upcaster from the previous one. */
  version?: number;
  /** The partition key: events with one key are delivered in publish order. */
  key?: (event: T) => string | null | undefined;
}

export interface EventMetadata {
  type: string;
  version: number;
  key?: (event: object) => string | null | undefined;
}

/**
 * Marks a class as an event. Types travel by name and resolve through the registry; class names
 * never leave the process.
 *
 * @example
 * @IntegrationEvent({ type: 'user.registered', version: 1, key: (e) => e.userId })
 * export class UserRegistered { userId!: string; email!: string }
 */
export function IntegrationEvent<T extends object>(
  options: IntegrationEventOptions<T>,
): ClassDecorator {
  return (target) => {
    const metadata: EventMetadata = {
      type: options.type,
      version: options.version ?? 1,
      key: options.key as EventMetadata['key'],
    };
    Reflect.defineMetadata(EVENT_METADATA, metadata, target);
  };
}
