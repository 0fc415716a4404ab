import type { ResolvedEventBusOptions } from '../interfaces/event-bus-options.interface';
import type { EventTransport } from './event-transport.interface';
import { InMemoryTransport } from './in-memory/in-memory.transport';
import { loadPackage } from '../util/load-package';

type KafkaTransportModule = typeof import('./kafka/kafka.transport');

/** Builds the transport the options ask for. */
export function createTransport(options: ResolvedEventBusOptions): EventTransport {
  switch (options.transport.type) {
    case 'in-memory':
      return new InMemoryTransport(options.transport.broker);
    case 'kafka': {
      // Required here, not imported: kafkajs is an optional peer, loaded only by who uses Kafka.
      const { KafkaTransport } = loadPackage<KafkaTransportModule>(
        'kafkajs',
        'transport.type "kafka"',
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        () => require('./kafka/kafka.transport') as KafkaTransportModule,
      );
      return new KafkaTransport(options.transport, options.serviceId);
    }
    case 'custom':
      return options.transport.transport;
  }
}
