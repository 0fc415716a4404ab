/**
 * @nestbus/event-bus/transport: the port a transport implements, for authors of a custom one
 * (`transport: { type: 'custom', transport }`), the in-memory transport as a reference, and the
 * PostgreSQL transport with the topic reader that operator tools read its topics with.
 */
export type {
  EventTransport,
  OutgoingRecord,
  IncomingRecord,
  RecordBatch,
  BatchHandler,
  SubscribeOptions,
  TransportSubscription,
  TopicSpec,
  RecordHeaders,
  HeaderValue,
  OutgoingHeaders,
  RawHeaders,
  SubscriptionStatus,
  PartitionLag,
} from './transports/event-transport.interface';
export { InMemoryTransport } from './transports/in-memory/in-memory.transport';
export { PostgresTransport } from './transports/postgres/postgres.transport';
export { PostgresTopicReader } from './transports/postgres/postgres-topic.reader';
export type { PostgresTopicReaderOptions } from './transports/postgres/postgres-topic.reader';
export { POSTGRES_TRANSPORT_MIGRATIONS } from './transports/postgres/postgres-transport.schema';
export { EVENT_TRANSPORT } from './event-bus.constants';
