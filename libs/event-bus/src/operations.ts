/**
 * @nestbus/event-bus/operations: the building blocks of the operator CLI and the service endpoints
 * that look inside the bus (outbox status, dead letters, replay, the trace log). Less stable than
 * the main entry point: they follow the tables and the wire format.
 */
export { EVENT_BUS_DEFAULTS } from './options/event-bus-defaults';
export { resolveEventBusOptions } from './options/resolve-event-bus-options';
export type { ResolvedEventBusOptions } from './interfaces/event-bus-options.interface';
export {
  CE_HEADERS,
  EVENT_METADATA,
  EVENT_UPCASTER_METADATA,
  EVENT_BUS_RESOLVED_OPTIONS,
} from './event-bus.constants';
export { EventTypeRegistry } from './envelope/event-type.registry';
export { HandlerRegistry } from './discovery/handler.registry';
export type { HandlerDefinition } from './discovery/handler.registry';
export type { EventDefinition } from './envelope/event-type.registry';
export { CloudEventCodec } from './envelope/cloud-event.codec';
export { DecodeStep } from './consumer/pipeline/decode.step';
export { UpcastStep } from './consumer/pipeline/upcast.step';
export { ValidateStep } from './consumer/pipeline/validate.step';
export type { EventEnvelope } from './envelope/event-envelope.interface';

export { OutboxMessage } from './storage/typeorm/entities/outbox-message.entity';
export { OutboxStore } from './storage/outbox.store';
export type { OutboxCounts, OutboxRow, OutboxStatus } from './storage/outbox.store';
export { OutboxInspector } from './operations/outbox.inspector';
export type { OutboxStatusReport, FailedRowsPage } from './operations/outbox.inspector';
export { InboxRecord } from './storage/typeorm/entities/inbox-record.entity';

export { deadLetterTopic } from './dead-letter/dead-letter-topic';
export {
  DeadLetterReader,
  toDeadLetter,
  deadLetterAddress,
  parkedToDeadLetter,
} from './operations/dead-letter.reader';
export type { DeadLetterReadOptions, DeadLetterSink } from './operations/dead-letter.reader';
export type { DeadLetter } from './operations/dead-letter.interface';
export { ParkedDeadLetter } from './storage/typeorm/entities/parked-dead-letter.entity';
export { ParkedDeadLetterStore } from './storage/parked-dead-letter.store';
export type { ParkedRecord } from './storage/parked-dead-letter.store';
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
} from './transports/topic-reader.interface';

export { EventTrace } from './storage/typeorm/entities/event-trace.entity';
export { EventTraceStore } from './storage/event-trace.store';
export type { EventTraceEntry, EventTraceStage } from './storage/event-trace.store';
export { MESSAGING_ATTRIBUTES, EVENT_BUS_TRACER } from './observability/tracing.interceptor';
