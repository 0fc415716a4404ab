import { Injectable } from '@nestjs/common';
import type {
  EventBusInterceptor,
  OutgoingEvent,
  ProcessOutcome,
  SendingEvent,
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

  afterPublish(events: readonly OutgoingEvent[]): void {
    for (const event of events) this.metrics.eventPublished(event.type);
  }

  async aroundSend(events: readonly SendingEvent[], next: () => Promise<void>): Promise<void> {
    try {
      await next();
    } catch (error) {
      this.metrics.sendFailed(events.length);
      throw error;
    }
  }

  onSent(events: readonly SentEvent[]): void {
    for (const event of events) this.metrics.eventSent(event.type);
  }

  onOutcome(outcome: ProcessOutcome): void {
    // Undecodable records have no trustworthy type: fixed label values keep cardinality bounded.
    const type = outcome.type ?? 'unknown';
    const handler = outcome.handlerId ?? 'none';
    this.metrics.eventProcessed(type, handler, outcome.status);
    if (outcome.status === 'dead_lettered') return;
    this.metrics.processingTook(type, handler, outcome.durationMs / 1000);
    if (outcome.status === 'success' && outcome.eventTime) {
      this.metrics.handledAfter(type, (Date.now() - outcome.eventTime.getTime()) / 1000);
    }
  }
}
