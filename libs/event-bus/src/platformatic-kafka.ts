/**
 * @nestbus/event-bus/platformatic-kafka: the Kafka transport on @platformatic/kafka, for tools
 * that talk to Kafka directly. Loads `@platformatic/kafka` (and not kafkajs); an application
 * selects it with `transport: { type: 'platformatic-kafka', ... }` and never needs this entry point.
 */
export { PlatformaticKafkaTransport } from './transports/platformatic-kafka/platformatic-kafka.transport';
