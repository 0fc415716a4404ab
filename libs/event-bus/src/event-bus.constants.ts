/** Metadata key written by `@IntegrationEvent()` on event classes. */
export const EVENT_METADATA = 'event-bus:event';
/** Metadata key written by `@EventSubscribe()` on handler methods. */
export const EVENT_SUBSCRIBE_METADATA = 'event-bus:subscribe';
/** Metadata key written by `@Upcaster()` on upcaster classes. */
export const EVENT_UPCASTER_METADATA = 'event-bus:upcaster';
/** Metadata key written by `@EventInterceptor()` on interceptor classes. */
export const EVENT_INTERCEPTOR_METADATA = 'event-bus:interceptor';

/** Injection token of the resolved (validated, defaulted) options. */
export const EVENT_BUS_RESOLVED_OPTIONS = Symbol('EVENT_BUS_RESOLVED_OPTIONS');
/**
 * Injection token of the bus's own interceptors that are enabled (tracing, metrics, the trace
 * log), which run before all others; the module builds them, the chain only runs them.
 */
export const EVENT_BUS_BUILT_IN_INTERCEPTORS = Symbol('EVENT_BUS_BUILT_IN_INTERCEPTORS');
/** Injection token of the active transport. */
export const EVENT_TRANSPORT = Symbol('EVENT_TRANSPORT');
/**
 * Injection token of the SchedulerRegistry the bus's periodic jobs run in: the application's,
 * when it imports `ScheduleModule.forRoot()`, else one of the bus's own.
 */
export const EVENT_BUS_SCHEDULER = Symbol('EVENT_BUS_SCHEDULER');

/** Names of the bus's periodic jobs in the SchedulerRegistry. */
export const EVENT_BUS_JOBS = {
  /** Deletes rows past retention, every `maintenance.cleanupEveryMs`. */
  cleanup: 'event-bus:retention-cleanup',
  /** Puts failed outbox rows back in line, every `outbox.retryFailedEveryMs` (when set). */
  retryFailed: 'event-bus:outbox-retry-failed',
} as const;

/** CloudEvents 1.0 Kafka binary-mode header names, plus our extensions. */
export const CE_HEADERS = {
  specVersion: 'ce_specversion',
  id: 'ce_id',
  source: 'ce_source',
  type: 'ce_type',
  time: 'ce_time',
  dataVersion: 'ce_dataversion',
  destination: 'ce_destination',
  correlationId: 'ce_correlationid',
  contentType: 'content-type',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;

/** Headers added to a record when it is dead-lettered. */
export const DLQ_HEADERS = {
  errorType: 'x-error-type',
  errorMessage: 'x-error-message',
  attempts: 'x-attempts',
  originalTopic: 'x-original-topic',
  originalPartition: 'x-original-partition',
  originalOffset: 'x-original-offset',
  handler: 'x-handler',
  failedAt: 'x-failed-at',
  /** On a reduced dead letter: the `event_dead_letter` row holding the whole record. */
  parkedId: 'x-parked-id',
  /** On a reduced dead letter: why the broker refused the full one. */
  refusal: 'x-dead-letter-refused',
  /** On a reduced dead letter: the original value's size in bytes. */
  originalSize: 'x-original-size',
} as const;

export const CLOUDEVENTS_SPEC_VERSION = '1.0';
export const JSON_CONTENT_TYPE = 'application/json';
/** The JSON event format's media type: a record whose `content-type` has it is in structured mode. */
export const CLOUDEVENTS_JSON_CONTENT_TYPE = 'application/cloudevents+json';
