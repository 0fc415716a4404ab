import type { EventTransport } from './event-transport.interface';
import type { TransportOptions } from './transport-options';
import { InMemoryTransport } from './in-memory/in-memory.transport';
import { PostgresTransport } from './postgres/postgres.transport';
import { loadPackage } from '../util/load-package';

type KafkaTransportModule = typeof import('./kafka/kafka.transport');
type PlatformaticKafkaTransportModule =
  typeof import('./platformatic-kafka/platformatic-kafka.transport');

/** Builds the transport `options` ask for; `serviceId` names the client to the broker. */
export function createTransport(options: TransportOptions, serviceId: string): EventTransport {
  switch (options.type) {
    case 'in-memory':
      return new InMemoryTransport(options.broker);
    case 'kafka': {
      // Required here, not imported: kafkajs is an optional peer, loaded only by who uses Kafka.
      const { KafkaTransport } = loadPackage<KafkaTransportModule>(
        'kafkajs',
        'transport.type "kafka"',
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        () => require('./kafka/kafka.transport') as KafkaTransportModule,
      );
      return new KafkaTransport(options, serviceId);
    }
    case 'platformatic-kafka': {
      // The same for @platformatic/kafka, the other Kafka client.
      const { PlatformaticKafkaTransport } = loadPackage<PlatformaticKafkaTransportModule>(
        '@platformatic/kafka',
        'transport.type "platformatic-kafka"',
        () =>
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          require('./platformatic-kafka/platformatic-kafka.transport') as PlatformaticKafkaTransportModule,
      );
      return new PlatformaticKafkaTransport(options, serviceId);
    }
    case 'postgres': {
      // Imported as is: it loads `pg` (through loadPackage) only when it connects.
      return new PostgresTransport(options, serviceId);
    }
    case 'custom':
      return options.transport;
  }
}
