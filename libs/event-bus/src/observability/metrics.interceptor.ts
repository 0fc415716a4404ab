import { Injectable } from '@nestjs/common';
import type {
  EventBusInterceptor,
  OutgoingEvent,
  PartitionPause,
  ProcessOutcome,
  SendFailure,
  SentEvent,
} from '../interfaces/event-bus-interceptor.interface';
import { EventTypeRegistry } from '../envelope/event-type.registry';
import { EventBusMetrics } from './event-bus.metrics';

/** The label of an event type nobody registered here (or of a record that did not decode). */
const UNKNOWN_TYPE = 'unknown';

/**
 * Feeds publish, send and processing events, pauses and records in flight into the bus's
 * Prometheus metrics; the core reports them through the interceptor chain's observer hooks. Only types
 * registered in this application become label values: an outbox row can carry any type (a
 * replayed dead letter, say), and label values must stay bounded.
 */
@Injectable()
export class MetricsInterceptor implements EventBusInterceptor {
  constructor(
    private readonly metrics: EventBusMetrics,
    private readonly types: EventTypeRegistry,
  ) {}

  get enabled(): boolean {
    return this.metrics.enabled;
  }

  /** Counted at commit: a rolled-back publish never happened. */
  onCommitted(events: readonly OutgoingEvent[]): void {
    for (const event of events) this.metrics.eventPublished(this.label(event.type));
  }

  onSent(events: readonly SentEvent[]): void {
    for (const event of events) this.metrics.eventSent(this.label(event.type));
  }

  onSendFailed(failure: SendFailure): void {
    this.metrics.sendFailed(failure.events.length);
  }

  onPaused(pause: PartitionPause): void {
    this.metrics.partitionPaused(pause.topic);
  }

  onInFlight(records: number): void {
    this.metrics.recordsInFlight(records);
  }

  onDeadLetterParked(topic: string): void {
    this.metrics.deadLetterParked(topic);
  }

  onOutcome(outcome: ProcessOutcome): void {
    const type = this.label(outcome.type);
    const handler = outcome.handlerId ?? 'none';
    this.metrics.eventProcessed(type, handler, outcome.status);
    // Only attempts where the handler ran: a duplicate or an event that failed to decode has no
    // duration, and would pull the quantiles down exactly when something is wrong.
    const ran = outcome.status !== 'dead_lettered' && outcome.status !== 'duplicate';
    if (!ran || outcome.durationMs <= 0) return;
    this.metrics.processingTook(type, handler, outcome.durationMs / 1000);
    if (outcome.status === 'success' && outcome.eventTime) {
      const seconds = (Date.now() - outcome.eventTime.getTime()) / 1000;
      this.metrics.handledAfter(type, handler, seconds);
    }
  }

  private label(type: string | null): string {
    return type !== null && this.types.has(type) ? type : UNKNOWN_TYPE;
  }
}
