import type { KafkaTransportOptions } from '../kafka/kafka-transport-options.interface';

/**
 * Kafka through `@platformatic/kafka`, an optional peer to install, with the options of
 * `{ type: 'kafka' }` (which stays on kafkajs, the default client). Only `brokers` is required.
 */
export interface PlatformaticKafkaTransportOptions extends Omit<KafkaTransportOptions, 'type'> {
  type: 'platformatic-kafka';
}
