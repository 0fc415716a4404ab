import type { ResolvedEventBusOptions } from '../interfaces/event-bus-options.interface';
import type { EventTransport } from './event-transport.interface';
import { InMemoryTransport } from './in-memory/in-memory.transport';
import { KafkaTransport } from './kafka/kafka.transport';

/** Builds the transport the options ask for. */
export function createTransport(options: ResolvedEventBusOptions): EventTransport {
  switch (options.transport.type) {
    case 'in-memory':
      return new InMemoryTransport(options.transport.broker);
    case 'kafka':
      return new KafkaTransport(options.transport, options.serviceId);
    case 'custom':
      return options.transport.transport;
  }
}
