export { EventBusModule } from './event-bus.module';
export type { EventBusFeatureOptions } from './event-bus.module';
export { EVENT_BUS_MODULE_OPTIONS } from './event-bus.module-definition';
export { EVENT_BUS_DEFAULTS, resolveEventBusOptions } from './event-bus.options';
export { EventPublisher } from './event-bus.publisher';
export type { PublishOptions, PublishedEvent } from './event-bus.publisher';
export { LocalEventDispatcher } from './local/local-event.dispatcher';
export { EventBusHealthIndicator } from './observability/event-bus.health';
export { EventBusMetrics, EVENT_BUS_METRICS } from './observability/event-bus.metrics';
export {
  TracingInterceptor,
  EVENT_BUS_TRACER,
  MESSAGING_ATTRIBUTES,
} from './observability/tracing.interceptor';
export { TraceLogInterceptor } from './observability/trace-log.interceptor';
export { EventTrace } from './observability/event-trace.entity';
export type { EventTraceStage } from './observability/event-trace.entity';
export { EventTraceStore } from './observability/event-trace.store';
export type { EventTraceEntry } from './observability/event-trace.store';
export { EVENT_BUS_ENTITIES, EVENT_BUS_MIGRATIONS } from './event-bus.entities';
export {
  CE_HEADERS,
  DLQ_HEADERS,
  EVENT_METADATA,
  DEAD_LETTER_SUFFIX,
  EVENT_BUS_RESOLVED_OPTIONS,
  EVENT_TRANSPORT,
} from './event-bus.constants';

export { Event } from './decorators/event.decorator';
export type { EventOptions } from './decorators/event.decorator';
export { EventSubscribe } from './decorators/event-subscribe.decorator';
export type { EventSubscribeOptions } from './decorators/event-subscribe.decorator';
export { Upcaster } from './decorators/upcaster.decorator';
export type { EventUpcaster, UpcasterMetadata } from './decorators/upcaster.decorator';
export { EventInterceptor } from './decorators/event-interceptor.decorator';
export type { EventInterceptorOptions } from './decorators/event-interceptor.decorator';

export type {
  EventBusModuleOptions,
  ResolvedEventBusOptions,
  TransportOptions,
  InMemoryTransportOptions,
  CustomTransportOptions,
  OutboxOptions,
  ConsumerOptions,
  RetryOptions,
  TopicOptions,
  InboxOptions,
  CodecOptions,
  HealthOptions,
  TracingOptions,
  TraceLogOptions,
  MetricsOptions,
} from './interfaces/event-bus-options.interface';
export type { EventContext } from './interfaces/event-context.interface';
export type {
  EventBusInterceptor,
  OutgoingEvent,
  SentEvent,
  SendingEvent,
  ProcessOutcome,
  ProcessStatus,
  ProcessInvocation,
} from './interfaces/event-bus-interceptor.interface';

export { EventTypeRegistry } from './envelope/event-type.registry';
export type { EventDefinition } from './envelope/event-type.registry';
export { CloudEventCodec } from './envelope/cloud-event.codec';
export type { EventEnvelope } from './envelope/event-envelope.interface';

export { OutboxMessage } from './outbox/outbox-message.entity';
export type { OutboxStatus } from './outbox/outbox-message.entity';
export { OutboxStore } from './outbox/outbox.store';
export type { OutboxCounts } from './outbox/outbox.store';
export { OutboxRelay } from './outbox/outbox.relay';
export { InboxRecord } from './inbox/inbox-record.entity';
export { InboxConsumer } from './inbox/inbox.consumer';
export { EventConsumer } from './consumer/event-consumer';
export { deadLetterTopic } from './consumer/dead-letter.publisher';
export { InterceptorChain } from './interceptors/interceptor-chain';
export { TransactionRunner } from './database/transaction-runner';

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
export { KafkaTransport } from './transports/kafka/kafka.transport';
export type {
  KafkaTransportOptions,
  KafkaSaslOptions,
} from './transports/kafka/kafka-transport-options.interface';
export { InMemoryBroker } from './transports/in-memory/in-memory-broker';
export type {
  InMemoryBrokerOptions,
  OverflowPolicy,
} from './transports/in-memory/in-memory-broker';

export { EventBusError, isNonRetriable } from './errors/event-bus.error';
export { EventBusConfigurationError } from './errors/event-bus-configuration.error';
export { InvalidEventError } from './errors/invalid-event.error';
export type { InvalidEventReason } from './errors/invalid-event.error';
export { PublishError } from './errors/publish.error';
export { TransportError, BackpressureError } from './errors/transport.error';
export { isTransientFailure } from './errors/transient-failure';
export type { TransientFailureClassifier } from './errors/transient-failure';

export { OutboxInspector } from './operations/outbox.inspector';
export type { OutboxStatusReport, FailedRowsPage } from './operations/outbox.inspector';
export {
  DeadLetterReader,
  toDeadLetter,
  deadLetterAddress,
  parkedToDeadLetter,
} from './operations/dead-letter.reader';
export { ParkedDeadLetterStore } from './dead-letter/parked-dead-letter.store';
export type { ParkedRecord } from './dead-letter/parked-dead-letter.store';
export { ParkedDeadLetter } from './dead-letter/parked-dead-letter.entity';
export type { DeadLetterReadOptions, DeadLetterSink } from './operations/dead-letter.reader';
export type { DeadLetter } from './operations/dead-letter.interface';
export { DeadLetterReplayService, DeadLetterReplay } from './operations/dead-letter-replay.service';
export type {
  ReplayDecision,
  ReplayOutcome,
  ReplayOptions,
  ReplayTotals,
} from './operations/dead-letter-replay.service';
export { REPLAY_HEADERS } from './operations/replay.constants';
export type {
  TopicReader,
  PartitionRange,
  TopicReadOptions,
  TopicReadResult,
  RecordSink,
} from './operations/topic-reader.interface';
export { KafkaTopicReader } from './transports/kafka/kafka-topic.reader';
export type { KafkaTopicReaderOptions } from './transports/kafka/kafka-topic.reader';
export { kafkaLogCreator } from './transports/kafka/kafka-log.bridge';
