import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  CE_HEADERS,
  DLQ_HEADERS,
  EVENT_BUS_RESOLVED_OPTIONS,
  EVENT_TRANSPORT,
} from '../event-bus.constants';
import { InvalidEventError } from '../errors/invalid-event.error';
import { isNonRetriable } from '../errors/event-bus.error';
import { ParkedDeadLetterStore } from '../storage/parked-dead-letter.store';
import { deadLetterTopic } from '../dead-letter/dead-letter-topic';
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
import { processOutcome } from './pipeline/outcome';
import {
  deadLettered,
  deadLetterRefusedAndParked,
  deadLetterSendFailed,
  NO_HANDLER,
  parkedByFailurePolicy,
  parkedByPolicy,
  parkingFailed,
  reducedDeadLetterRefused,
  reducedLetterRefusal,
} from '../event-bus.messages';

const MAX_MESSAGE_LENGTH = 1000;
const MAX_ID_LENGTH = 255;
/** A reduced dead letter keeps the key up to this size (it may itself be the oversized part). */
const MAX_REDUCED_KEY_BYTES = 1024;

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
 * safely written. A letter the broker refuses for good (too large once the reasons are added)
 * is kept whole in `event_dead_letter` and replaced on the topic by a reduced letter that points
 * at it (`x-parked-id`), so no record blocks its partition forever.
 */
@Injectable()
export class DeadLetterPublisher {
  private readonly logger = new Logger(DeadLetterPublisher.name);

  constructor(
    @Inject(EVENT_BUS_RESOLVED_OPTIONS) private readonly options: ResolvedEventBusOptions,
    @Inject(EVENT_TRANSPORT) private readonly transport: EventTransport,
    private readonly interceptors: InterceptorChain,
    private readonly parked: ParkedDeadLetterStore,
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

    let parkedId: string | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        if (parkedId === undefined) {
          await this.transport.send([letter]);
          this.logger.warn(deadLettered(where(record), reason.handlerId, type));
        } else {
          await this.sendReduced(letter, parkedId);
        }
        this.report(record, reason);
        return;
      } catch (error) {
        if (signal.aborted) throw error;
        if (parkedId === undefined && isNonRetriable(error)) {
          // The broker will never take this letter (too large once the reasons were added, say):
          // keep the whole record in the database and send a reduced letter pointing at it.
          parkedId = await this.park(record, reason, type, error, signal);
          this.interceptors.deadLetterParked(record.topic);
          attempt = 0;
          continue;
        }
        if (parkedId !== undefined && isNonRetriable(error)) {
          this.logger.error(reducedDeadLetterRefused(where(record), parkedId, errorMessage(error)));
          this.report(record, reason);
          return;
        }
        this.logger.error(deadLetterSendFailed(where(record), attempt, errorMessage(error)));
        await sleep(backoffDelay(attempt, this.options.consumer.retry), signal);
        if (signal.aborted) throw error;
      }
    }
  }

  /**
   * A handler's failure policy chose `park`: the record is kept whole in `event_dead_letter`
   * (listed and replayed with the CLI's `dlq parked` commands) and no dead-letter topic is used.
   */
  async parkInstead(
    record: IncomingRecord,
    reason: DeadLetterReason,
    signal: AbortSignal,
  ): Promise<void> {
    await this.park(record, reason, errorType(reason.error), null, signal);
    this.interceptors.deadLetterParked(record.topic);
    this.report(record, reason);
  }

  /** Stores the record whole; waits out a database outage (the partition holds meanwhile). */
  private async park(
    record: IncomingRecord,
    reason: DeadLetterReason,
    type: string,
    /** Why the broker refused the dead letter; null when the failure policy chose to park. */
    refusal: unknown,
    signal: AbortSignal,
  ): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      try {
        const id = await this.parked.park(record, {
          errorType: type,
          errorMessage: errorMessage(reason.error),
          attempts: reason.attempts,
          groupId: reason.group,
          handler: reason.handlerId ?? null,
          refusal: refusal === null ? parkedByPolicy(reason.handlerId) : errorMessage(refusal),
        });
        if (refusal === null) {
          this.logger.warn(
            parkedByFailurePolicy(where(record), reason.handlerId ?? NO_HANDLER, type, id),
          );
        } else {
          this.logger.error(deadLetterRefusedAndParked(where(record), errorMessage(refusal), id));
        }
        return id;
      } catch (error) {
        if (signal.aborted) throw error;
        this.logger.error(parkingFailed(where(record), attempt, errorMessage(error)));
        await sleep(backoffDelay(attempt, this.options.consumer.unavailableBackoff), signal);
        if (signal.aborted) throw error;
      }
    }
  }

  /** The reasons and a reference, without the value and the original headers. */
  private sendReduced(letter: OutgoingRecord, parkedId: string): Promise<void> {
    const keep = Object.values(DLQ_HEADERS) as string[];
    const headers: OutgoingHeaders = {};
    for (const name of keep)
      if (letter.headers[name] !== undefined) headers[name] = letter.headers[name];
    for (const name of [CE_HEADERS.id, CE_HEADERS.type, CE_HEADERS.dataVersion]) {
      const value = letter.headers[name];
      const first = Array.isArray(value) ? value[0] : value;
      if (first !== undefined && first.length <= MAX_ID_LENGTH) headers[name] = first;
    }
    headers[DLQ_HEADERS.parkedId] = parkedId;
    headers[DLQ_HEADERS.originalSize] = String(letter.value.length);
    headers[DLQ_HEADERS.refusal] = reducedLetterRefusal();
    const key =
      letter.key !== null && letter.key.length <= MAX_REDUCED_KEY_BYTES ? letter.key : null;
    return this.transport.send([{ topic: letter.topic, key, value: Buffer.alloc(0), headers }]);
  }

  private report(record: IncomingRecord, reason: DeadLetterReason): void {
    this.interceptors.outcome(
      processOutcome({
        group: reason.group,
        record,
        envelope: reason.envelope,
        handlerId: reason.handlerId,
        status: 'dead_lettered',
        attempt: reason.attempts,
        durationMs: 0,
        error: reason.error,
      }),
    );
  }
}

function where(record: IncomingRecord): string {
  return `${record.topic}[${record.partition}]@${record.offset}`;
}

function errorType(error: unknown): string {
  if (error instanceof InvalidEventError) return error.reason;
  return error instanceof Error ? error.name : 'Error';
}

function errorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.slice(0, MAX_MESSAGE_LENGTH);
}
