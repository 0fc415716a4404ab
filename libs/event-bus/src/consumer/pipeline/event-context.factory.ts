import type { EventContext } from '../../interfaces/event-context.interface';
import type { IncomingRecord } from '../../transports/event-transport.interface';
import type { EventEnvelope } from '../../envelope/event-envelope.interface';
import type { HandlerDefinition } from '../../discovery/handler.registry';
import type { StorageTransaction } from '../../storage/unit-of-work';

/** The context a handler receives for one attempt at one record. */
export function buildEventContext(
  envelope: EventEnvelope,
  record: IncomingRecord,
  handler: HandlerDefinition,
  attempt: number,
  transaction: StorageTransaction,
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
    // The storage adapter's transaction, handed over unread: an EntityManager with TypeORM.
    manager: transaction as EventContext['manager'],
  };
}
