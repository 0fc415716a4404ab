import { Injectable } from '@nestjs/common';
import type {
  EventBusInterceptor,
  OutgoingEvent,
  ProcessOutcome,
  SentEvent,
} from '../interfaces/event-bus-interceptor.interface';
import { EventBusMetrics } from './event-bus.metrics';

/** Feeds publish, send and processing events into the bus's Prometheus metrics. */
@Injectable()
export class MetricsInterceptor implements EventBusInterceptor {
  constructor(private readonly metrics: EventBusMetrics) {}

  get enabled(): boolean {
    return this.metrics.enabled;
  }

  /** Counted at commit: a rolled-back publish never happened. */
  onCommitted(events: readonly OutgoingEvent[]): void {
    for (const event of events) this.metrics.eventPublished(event.type);
  }

  onSent(events: readonly SentEvent[]): void {
    for (const event of events) this.metrics.eventSent(event.type);
  }

  onOutcome(outcome: ProcessOutcome): void {
    // Undecodable records have no trustworthy type: fixed label values keep cardinality bounded.
    const type = outcome.type ?? 'unknown';
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
}
