/**
 * @nestbus/event-bus: what an application writes code against. Further entry points:
 * `@nestbus/event-bus/testing` (an in-memory bus for tests), `/transport` (for transport authors),
 * `/kafka` (the Kafka transport's classes) and `/operations` (the operator tooling's building blocks).
 */

// The module
export { EventBusModule } from './event-bus.module';
export type { EventBusFeatureOptions } from './event-bus.module';

// Decorators
export { IntegrationEvent } from './decorators/integration-event.decorator';
export type { IntegrationEventOptions } from './decorators/integration-event.decorator';
export { EventSubscribe } from './decorators/event-subscribe.decorator';
export type { EventSubscribeOptions } from './decorators/event-subscribe.decorator';
export { FailurePolicies } from './failure/failure-policies';
export type {
  FailureDecision,
  FailurePolicy,
  HandlerFailure,
} from './interfaces/failure-policy.interface';
export { Upcaster } from './decorators/upcaster.decorator';
export type { EventUpcaster } from './decorators/upcaster.decorator';
export { EventInterceptor } from './decorators/event-interceptor.decorator';
export type { EventInterceptorOptions } from './decorators/event-interceptor.decorator';

// Publishing and handling
export { EventPublisher } from './event-bus.publisher';
export { LocalEventDispatcher } from './local/local-event.dispatcher';
export type { PublishOptions, PublishedEvent } from './event-bus.publisher';
export type { EventContext } from './interfaces/event-context.interface';
export type {
  EventBusInterceptor,
  OutgoingEvent,
  SendingEvent,
  SentEvent,
  SendFailure,
  PartitionPause,
  ProcessInvocation,
  ProcessOutcome,
  ProcessStatus,
} from './interfaces/event-bus-interceptor.interface';

// Options
export type {
  EventBusModuleOptions,
  OutboxOptions,
  ConsumerOptions,
  RetryOptions,
  TopicOptions,
  InboxOptions,
  CodecOptions,
  CloudEventsMode,
  HealthOptions,
  TracingOptions,
  TraceLogOptions,
  MetricsOptions,
  MaintenanceOptions,
  MetricsRegistry,
} from './interfaces/event-bus-options.interface';
export type { PayloadCodec, PayloadCodecContext } from './interfaces/payload-codec.interface';
export { JsonPayloadCodec } from './envelope/json-payload.codec';
export type { TransportOptions, CustomTransportOptions } from './transports/transport-options';
export type { InMemoryTransportOptions } from './transports/in-memory/in-memory-transport-options';
export type {
  KafkaTransportOptions,
  KafkaSaslOptions,
} from './transports/kafka/kafka-transport-options.interface';
export type { PostgresTransportOptions } from './transports/postgres/postgres-transport-options';
export type { PlatformaticKafkaTransportOptions } from './transports/platformatic-kafka/platformatic-kafka-transport-options.interface';
export { InMemoryBroker } from './transports/in-memory/in-memory-broker';
export type {
  InMemoryBrokerOptions,
  OverflowPolicy,
} from './transports/in-memory/in-memory-broker';

// Tables, health, dead letters
export { EVENT_BUS_ENTITIES, EVENT_BUS_MIGRATIONS } from './event-bus.entities';
export { EventBusHealthIndicator } from './observability/event-bus.health';
export type { EventBusHealthResult } from './observability/event-bus.health';
export { DLQ_HEADERS } from './event-bus.constants';

// Errors
export { EventBusError } from './errors/event-bus.error';
export { EventBusConfigurationError } from './errors/event-bus-configuration.error';
export { InvalidEventError } from './errors/invalid-event.error';
export type { InvalidEventReason } from './errors/invalid-event.error';
export { PublishError } from './errors/publish.error';
export { HandlerRefusedError } from './errors/handler-refused.error';
export { EVENT_BUS_CONTEXT_TYPE } from './discovery/nest-handler.factory';
export { TransportError, BackpressureError } from './errors/transport.error';
export { isTransientFailure } from './errors/transient-failure';
export type { TransientFailureClassifier } from './errors/transient-failure';
