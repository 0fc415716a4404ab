import { CE_HEADERS } from '../../event-bus.constants';
import type { IncomingRecord } from '../../transports/event-transport.interface';
import type { EventEnvelope } from '../../envelope/event-envelope.interface';
import type {
  ProcessOutcome,
  ProcessStatus,
} from '../../interfaces/event-bus-interceptor.interface';

/** An id from a header is kept only this long (it reaches the trace log, never a metric). */
const MAX_ID_LENGTH = 255;

/** What the outcome of one record for one handler (or for none) is built from. */
export interface OutcomeFacts {
  readonly group: string;
  readonly record: IncomingRecord;
  /** Missing when the record could not be decoded. */
  readonly envelope?: EventEnvelope;
  /** Missing when no handler saw the record. */
  readonly handlerId?: string;
  readonly status: ProcessStatus;
  readonly attempt: number;
  readonly durationMs: number;
  readonly error?: unknown;
}

/** The last step of the pipeline: every `ProcessOutcome` the consumer reports is made here. */
export function processOutcome(facts: OutcomeFacts): ProcessOutcome {
  const { envelope, record } = facts;
  const headerId = record.headers[CE_HEADERS.id];
  return {
    handlerId: facts.handlerId ?? null,
    // An undecodable record's id is only good for the trace log, never for a metric label.
    eventId: envelope?.id ?? (headerId && headerId.length <= MAX_ID_LENGTH ? headerId : null),
    type: envelope?.type ?? null,
    eventTime: envelope?.time ?? null,
    group: facts.group,
    topic: record.topic,
    status: facts.status,
    attempt: facts.attempt,
    durationMs: facts.durationMs,
    error: facts.error,
  };
}
