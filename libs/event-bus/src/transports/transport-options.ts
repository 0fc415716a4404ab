import type { EventTransport } from './event-transport.interface';
import {
  IN_MEMORY_OPTION_KEYS,
  type InMemoryTransportOptions,
  checkInMemoryOptions,
} from './in-memory/in-memory-transport-options';
import type { KafkaTransportOptions } from './kafka/kafka-transport-options.interface';
import { checkKafkaOptions, KAFKA_OPTION_KEYS } from './kafka/kafka-transport-options.validation';
import {
  checkPostgresOptions,
  POSTGRES_OPTION_KEYS,
  type PostgresTransportOptions,
} from './postgres/postgres-transport-options';
import type { PlatformaticKafkaTransportOptions } from './platformatic-kafka/platformatic-kafka-transport-options.interface';
import { LEAF, section, variants } from '../util/option-keys';
import type { OptionChecker } from '../util/option-checker';

/** A transport of your own that implements `EventTransport` (see `@nestbus/event-bus/transport`). */
export interface CustomTransportOptions {
  type: 'custom';
  transport: EventTransport;
}

/**
 * Where events travel: `in-memory` (the default), `kafka` (through kafkajs), `platformatic-kafka`
 * (Kafka through `@platformatic/kafka`), `postgres` (no broker: a PostgreSQL database the
 * services share), or a `custom` transport.
 */
export type TransportOptions =
  | InMemoryTransportOptions
  | KafkaTransportOptions
  | PlatformaticKafkaTransportOptions
  | PostgresTransportOptions
  | CustomTransportOptions;

/** The keys of `transport`, per `transport.type`; each transport lists its own. */
export const TRANSPORT_OPTION_KEYS = variants<TransportOptions, 'type'>('type', {
  'in-memory': IN_MEMORY_OPTION_KEYS,
  kafka: KAFKA_OPTION_KEYS,
  'platformatic-kafka': KAFKA_OPTION_KEYS,
  postgres: POSTGRES_OPTION_KEYS,
  custom: section<CustomTransportOptions>({ type: LEAF, transport: LEAF }),
});

/** The methods a custom transport must have; the optional ones are looked for where used. */
const REQUIRED_METHODS = ['connect', 'ensureTopics', 'send', 'subscribe', 'close'] as const;

/** Checks `transport` and hands each transport's own options to its own checks. */
export function checkTransportOptions(check: OptionChecker, value: unknown): TransportOptions {
  if (value === undefined) return { type: 'in-memory' };
  if (value === null || typeof value !== 'object') {
    throw check.error(
      'transport',
      "{ type: 'in-memory' }, { type: 'kafka', brokers }, { type: 'platformatic-kafka', brokers }, { type: 'postgres', url } or { type: 'custom', transport }",
      value,
    );
  }
  const options = value as TransportOptions;
  switch (options.type) {
    case 'in-memory':
      return checkInMemoryOptions(check, options);
    case 'kafka':
    case 'platformatic-kafka':
      return checkKafkaOptions(check, options);
    case 'postgres':
      return checkPostgresOptions(check, options);
    case 'custom': {
      const transport = options.transport as unknown as Record<string, unknown> | undefined;
      for (const method of REQUIRED_METHODS) {
        if (typeof transport?.[method] !== 'function') {
          throw check.error(
            `transport.transport.${method}`,
            'a function (an EventTransport)',
            transport?.[method],
          );
        }
      }
      return options;
    }
  }
  throw check.error(
    'transport.type',
    '"in-memory", "kafka", "platformatic-kafka", "postgres" or "custom"',
    (value as { type?: unknown }).type,
  );
}
