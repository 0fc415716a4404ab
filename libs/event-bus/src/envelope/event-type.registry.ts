import { Inject, Injectable, Type } from '@nestjs/common';
import { EVENT_BUS_RESOLVED_OPTIONS, EVENT_METADATA } from '../event-bus.constants';
import { EventBusConfigurationError } from '../errors/event-bus-configuration.error';
import { duplicateEventType, invalidOption, missingEventMetadata } from '../event-bus.messages';
import type { EventMetadata } from '../decorators/integration-event.decorator';
import type { ResolvedEventBusOptions } from '../interfaces/event-bus-options.interface';

const TYPE_PATTERN = /^[a-z0-9][a-z0-9._-]{0,199}$/i;
const TOPIC_PATTERN = /^[A-Za-z0-9._-]{1,244}$/;

/** An event class known to the bus, with where it travels. */
export interface EventDefinition {
  readonly type: string;
  readonly version: number;
  readonly target: Type<object>;
  readonly topic: string;
  readonly key?: (event: object) => string | null | undefined;
}

/**
 * Event classes by type and version. Incoming records resolve their class here and only here:
 * a name in a payload never selects code.
 */
@Injectable()
export class EventTypeRegistry {
  private readonly byType = new Map<string, Map<number, EventDefinition>>();
  private readonly byClass = new Map<Type<object>, EventDefinition>();

  constructor(
    @Inject(EVENT_BUS_RESOLVED_OPTIONS) private readonly options: ResolvedEventBusOptions,
  ) {}

  /** Registers an `@IntegrationEvent()` class; registering one class twice is harmless. */
  register(target: Type<object>): EventDefinition {
    const known = this.byClass.get(target);
    if (known) return known;
    const metadata = Reflect.getMetadata(EVENT_METADATA, target) as EventMetadata | undefined;
    if (!metadata) throw new EventBusConfigurationError(missingEventMetadata(target.name));
    this.checkMetadata(target, metadata);

    const versions = this.byType.get(metadata.type) ?? new Map<number, EventDefinition>();
    const clash = versions.get(metadata.version);
    if (clash) {
      throw new EventBusConfigurationError(
        duplicateEventType(metadata.type, metadata.version, clash.target.name, target.name),
      );
    }
    const topic = this.options.topics.naming(metadata.type);
    if (typeof topic !== 'string' || !TOPIC_PATTERN.test(topic)) {
      throw new EventBusConfigurationError(
        invalidOption('topics.naming', `a valid topic name for type "${metadata.type}"`, topic),
      );
    }
    const definition: EventDefinition = { ...metadata, target, topic };
    versions.set(metadata.version, definition);
    this.byType.set(metadata.type, versions);
    this.byClass.set(target, definition);
    return definition;
  }

  /** The definition of a registered class, registering it on first use. */
  forClass(target: Type<object>): EventDefinition {
    return this.byClass.get(target) ?? this.register(target);
  }

  /** The newest registered version of `type`. */
  latest(type: string): EventDefinition | undefined {
    const versions = this.byType.get(type);
    if (!versions) return undefined;
    return versions.get(Math.max(...versions.keys()));
  }

  has(type: string): boolean {
    return this.byType.has(type);
  }

  all(): EventDefinition[] {
    return [...this.byClass.values()];
  }

  private checkMetadata(target: Type<object>, metadata: EventMetadata): void {
    if (typeof metadata.type !== 'string' || !TYPE_PATTERN.test(metadata.type)) {
      throw new EventBusConfigurationError(
        invalidOption(
          `@IntegrationEvent(${target.name}).type`,
          'letters, digits, ".", "_" or "-"',
          metadata.type,
        ),
      );
    }
    if (!Number.isInteger(metadata.version) || metadata.version < 1) {
      throw new EventBusConfigurationError(
        invalidOption(
          `@IntegrationEvent(${target.name}).version`,
          'an integer of at least 1',
          metadata.version,
        ),
      );
    }
    if (metadata.key !== undefined && typeof metadata.key !== 'function') {
      throw new EventBusConfigurationError(
        invalidOption(
          `@IntegrationEvent(${target.name}).key`,
          'a function of the event',
          metadata.key,
        ),
      );
    }
  }
}
