import { Inject, Injectable, Logger } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { EVENT_BUS_RESOLVED_OPTIONS } from '../event-bus.constants';
import type { ResolvedEventBusOptions } from '../interfaces/event-bus-options.interface';
import type {
  EventBusInterceptor,
  ProcessOutcome,
  SentEvent,
} from '../interfaces/event-bus-interceptor.interface';
import { murmur2 } from '../util/key-hash';
import {
  type EventTraceRow,
  type EventTraceStage,
  EventTraceStore,
} from '../storage/event-trace.store';
import { describeError } from '../util/describe-error';
import { traceLogBufferFull, traceLogWriteFailed } from '../event-bus.messages';

const FLUSH_DELAY_MS = 500;
const FLUSH_SIZE = 200;
/**
 * Rows held at most, waiting or being written, while the database is slow or down; beyond it
 * hops are dropped and counted (the log is sampled diagnostics, not the events themselves).
 */
const MAX_HELD = 10_000;
const MAX_ERROR_LENGTH = 500;
const SAMPLE_SCALE = 10_000;
/** The column is a 32-bit integer: about 24.8 days. */
const MAX_DURATION_MS = 2_147_483_647;

const STAGE_OF: Record<ProcessOutcome['status'], EventTraceStage> = {
  success: 'processed',
  duplicate: 'duplicate',
  retried: 'failed',
  unavailable: 'failed',
  failed: 'failed',
  dead_lettered: 'dead_lettered',
  discarded: 'discarded',
};

/**
 * Writes the hops of sampled events to `event_trace` (when `tracing.log.enabled`): published
 * and sent by the relay; received, processed, duplicate, failed and dead-lettered per handler.
 * Rows are buffered and written in batches off the event's path, one write at a time; a failed
 * write is logged and its rows dropped, since the log is a diagnostic aid and must never slow or
 * fail the bus.
 */
@Injectable()
export class TraceLogInterceptor implements EventBusInterceptor {
  private readonly logger = new Logger(TraceLogInterceptor.name);
  private buffer: EventTraceRow[] = [];
  private timer?: NodeJS.Timeout;
  private writing?: Promise<void>;
  private inFlight = 0;
  private dropped = 0;

  constructor(
    @Inject(EVENT_BUS_RESOLVED_OPTIONS) private readonly options: ResolvedEventBusOptions,
    private readonly store: EventTraceStore,
  ) {}

  get enabled(): boolean {
    return this.options.tracing.log.enabled;
  }

  /** Whether an event's hops are logged; the same answer in every service for one id. */
  sampled(eventId: string): boolean {
    const rate = this.options.tracing.log.sampleRate;
    if (rate >= 1) return true;
    if (rate <= 0) return false;
    return (murmur2(eventId) >>> 0) % SAMPLE_SCALE < rate * SAMPLE_SCALE;
  }

  onSent(events: readonly SentEvent[]): void {
    for (const event of events) {
      if (!this.sampled(event.id)) continue;
      this.add(event.id, 'published', null, null, null, event.publishedAt);
      this.add(event.id, 'sent', null, event.latencyMs, null, event.sentAt);
    }
  }

  onOutcome(outcome: ProcessOutcome): void {
    if (outcome.eventId === null || !this.sampled(outcome.eventId)) return;
    const now = Date.now();
    if (outcome.attempt === 1 && outcome.status !== 'dead_lettered') {
      this.add(
        outcome.eventId,
        'received',
        outcome.handlerId,
        null,
        null,
        new Date(now - outcome.durationMs),
      );
    }
    this.add(
      outcome.eventId,
      STAGE_OF[outcome.status],
      outcome.handlerId,
      outcome.status === 'dead_lettered' ? null : outcome.durationMs,
      outcome.error === undefined ? null : describeError(outcome.error).slice(0, MAX_ERROR_LENGTH),
      new Date(now),
    );
  }

  /** Writes everything buffered; the orchestrator calls it once the consumer and relay stopped. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.writing) await this.writing;
    if (this.buffer.length === 0) return;
    const rows = this.buffer;
    this.buffer = [];
    this.inFlight = rows.length;
    this.writing = this.write(rows).finally(() => {
      this.writing = undefined;
      this.inFlight = 0;
    });
    await this.writing;
    if (this.buffer.length > 0)
      this.schedule(this.buffer.length >= FLUSH_SIZE ? 0 : FLUSH_DELAY_MS);
  }

  private add(
    eventId: string,
    stage: EventTraceStage,
    handler: string | null,
    durationMs: number | null,
    error: string | null,
    at: Date,
  ): void {
    if (this.buffer.length + this.inFlight >= MAX_HELD) {
      this.dropped++;
      return;
    }
    this.buffer.push({
      id: uuidv7(),
      eventId,
      stage,
      service: this.options.serviceId,
      handler,
      durationMs:
        durationMs === null ? null : Math.min(MAX_DURATION_MS, Math.max(0, Math.round(durationMs))),
      error,
      at,
    });
    this.schedule(this.buffer.length >= FLUSH_SIZE ? 0 : FLUSH_DELAY_MS);
  }

  /** One timer at a time; a write in progress picks up the rest when it ends (see flush). */
  private schedule(delayMs: number): void {
    if (this.writing) return;
    if (this.timer && delayMs > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), delayMs);
    this.timer.unref();
  }

  private async write(rows: EventTraceRow[]): Promise<void> {
    if (this.dropped > 0) {
      this.logger.warn(traceLogBufferFull(this.dropped));
      this.dropped = 0;
    }
    try {
      await this.store.insert(rows);
    } catch (error) {
      this.logger.warn(traceLogWriteFailed(rows.length, describeError(error)));
    }
  }
}
