/**
 * @nestbus/event-bus/kafka: the Kafka transport's classes, for tools that talk to Kafka directly.
 * Loads `kafkajs`; an application selects Kafka with `transport: { type: 'kafka', ... }` and never
 * needs this entry point.
 */
export { KafkaTransport } from './transports/kafka/kafka.transport';
export { KafkaTopicReader } from './transports/kafka/kafka-topic.reader';
export type { KafkaTopicReaderOptions } from './transports/kafka/kafka-topic.reader';
export { kafkaLogCreator } from './transports/kafka/kafka-log.bridge';
