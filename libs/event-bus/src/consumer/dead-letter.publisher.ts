import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  CE_HEADERS,
  DEAD_LETTER_SUFFIX,
  DLQ_HEADERS,
  EVENT_BUS_RESOLVED_OPTIONS,
  EVENT_TRANSPORT,
} from '../event-bus.constants';
import { InvalidEventError } from '../errors/invalid-event.error';
import type { ResolvedEventBusOptions } from '../interfaces/event-bus-options.interface';
import type {
  EventTransport,
  IncomingRecord,
  OutgoingHeaders,
  OutgoingRecord,
} from '../transports/event-transport.interface';
import { backoffDelay } from '../util/backoff';
import { sleep } from '../util/sleep';
import type { EventEnvelope } from '../envelope/event-envelope.interface';
import { InterceptorChain } from '../interceptors/interceptor-chain';

const MAX_MESSAGE_LENGTH = 1000;
const MAX_ID_LENGTH = 255;

export const deadLetterTopic = (topic: string): string => `${topic}${DEAD_LETTER_SUFFIX}`;

/** Why and where a record failed, written as `x-*` headers on its dead letter. */
export interface DeadLetterReason {
  error: unknown;
  attempts: number;
  /** The consumer group that gave up on the record. */
  group: string;
  handlerId?: string;
  /** The decoded event, when the record could be decoded. */
  envelope?: EventEnvelope;
}

/**
 * Sends a record that cannot be processed to `<topic>.dlq`, byte for byte (key, value, every
 * header) but for headers saying why. If the dead-letter send fails too, it is retried until it
 * succeeds or the consumer stops: the record's offset is not committed before its dead letter is
 * safely written.
 */
@Injectable()
export class DeadLetterPublisher {
  private readonly logger = new Logger(DeadLetterPublisher.name);

  constructor(
    @Inject(EVENT_BUS_RESOLVED_OPTIONS) private readonly options: ResolvedEventBusOptions,
    @Inject(EVENT_TRANSPORT) private readonly transport: EventTransport,
    private readonly interceptors: InterceptorChain,
  ) {}

  async send(record: IncomingRecord, reason: DeadLetterReason, signal: AbortSignal): Promise<void> {
    const type = errorType(reason.error);
    // The original key and headers as bytes (repeated headers too), not their decoded views.
    const headers: OutgoingHeaders = {
      ...record.rawHeaders,
      [DLQ_HEADERS.errorType]: type,
      [DLQ_HEADERS.errorMessage]: errorMessage(reason.error),
      [DLQ_HEADERS.attempts]: String(reason.attempts),
      [DLQ_HEADERS.originalTopic]: record.topic,
      [DLQ_HEADERS.originalPartition]: String(record.partition),
      [DLQ_HEADERS.originalOffset]: record.offset,
      [DLQ_HEADERS.failedAt]: new Date().toISOString(),
    };
    if (reason.handlerId) headers[DLQ_HEADERS.handler] = reason.handlerId;
    const letter: OutgoingRecord = {
      topic: deadLetterTopic(record.topic),
      key: record.rawKey,
      value: record.value,
      headers,
    };

    for (let attempt = 1; ; attempt++) {
      try {
        await this.transport.send([letter]);
        this.logger.warn(
          `Dead-lettered ${record.topic}[${record.partition}]@${record.offset}` +
            `${reason.handlerId ? ` for ${reason.handlerId}` : ''}: ${type}`,
        );
        this.report(record, reason);
        return;
      } catch (error) {
        if (signal.aborted) throw error;
        this.logger.error(
          `Dead-letter send for ${record.topic}[${record.partition}]@${record.offset} failed (attempt ${attempt}); retrying: ${errorMessage(error)}`,
        );
        await sleep(backoffDelay(attempt, this.options.consumer.retry), signal);
        if (signal.aborted) throw error;
      }
    }
  }

  private report(record: IncomingRecord, reason: DeadLetterReason): void {
    const { envelope } = reason;
    const headerId = record.headers[CE_HEADERS.id];
    this.interceptors.outcome({
      handlerId: reason.handlerId ?? null,
      // An undecodable record's id is only good for the trace log, never for a metric label.
      eventId: envelope?.id ?? (headerId && headerId.length <= MAX_ID_LENGTH ? headerId : null),
      type: envelope?.type ?? null,
      eventTime: envelope?.time ?? null,
      group: reason.group,
      topic: record.topic,
      status: 'dead_lettered',
      attempt: reason.attempts,
      durationMs: 0,
      error: reason.error,
    });
  }
}

function errorType(error: unknown): string {
  if (error instanceof InvalidEventError) return error.reason;
  return error instanceof Error ? error.name : 'Error';
}

function errorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.slice(0, MAX_MESSAGE_LENGTH);
}
