import type { EventContext } from '../../interfaces/event-context.interface';
import type { IncomingRecord } from '../../transports/event-transport.interface';
import type { EventEnvelope } from '../../envelope/event-envelope.interface';
import type { HandlerDefinition } from '../../discovery/handler.registry';

/** The context a handler receives for one attempt at one record. */
export function buildEventContext(
  envelope: EventEnvelope,
  record: IncomingRecord,
  handler: HandlerDefinition,
  attempt: number,
  manager: EventContext['manager'],
): EventContext {
  return {
    eventId: envelope.id,
    type: envelope.type,
    version: envelope.version,
    key: envelope.key,
    source: envelope.source,
    time: envelope.time,
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    attempt,
    handlerId: handler.id,
    correlationId: envelope.correlationId,
    traceparent: envelope.traceparent,
    headers: envelope.headers,
    manager,
  };
}
