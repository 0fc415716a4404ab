import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Attributes, Context, Span } from '@opentelemetry/api';
import { CE_HEADERS, EVENT_BUS_RESOLVED_OPTIONS, EVENT_TRANSPORT } from '../event-bus.constants';
import type { ResolvedEventBusOptions } from '../interfaces/event-bus-options.interface';
import type {
  EventBusInterceptor,
  OutgoingEvent,
  ProcessInvocation,
  SendingEvent,
} from '../interfaces/event-bus-interceptor.interface';
import type { EventTransport } from '../transports/event-transport.interface';
import { isPackageInstalled, loadPackage } from '../util/load-package';
import { tracingOffWithoutOpenTelemetry } from '../event-bus.messages';

type OpenTelemetryApi = typeof import('@opentelemetry/api');

/** Tracer name of the bus's spans. */
export const EVENT_BUS_TRACER = '@nestbus/event-bus';

/** OpenTelemetry messaging semantic-convention attribute names used by the bus. */
export const MESSAGING_ATTRIBUTES = {
  system: 'messaging.system',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  destination: 'messaging.destination.name',
  messageId: 'messaging.message.id',
  consumerGroup: 'messaging.consumer.group.name',
  partition: 'messaging.destination.partition.id',
  offset: 'messaging.kafka.offset',
  key: 'messaging.kafka.message.key',
  errorType: 'error.type',
} as const;

/**
 * OpenTelemetry spans after the messaging conventions: the publisher's active context goes into
 * the outbox row (`traceparent`/`tracestate`), the relay opens a PRODUCER `send <topic>` span
 * under it and puts that span in the record, and the consumer opens a CONSUMER
 * `process <topic>` span under the record's context around each handler attempt. One trace thus
 * runs from the request that published, through the commit and the relay, to the handler.
 * Without a registered OpenTelemetry SDK, every call here is a no-op. `@opentelemetry/api` is an
 * optional peer, loaded only when tracing is on (by default, when it is installed).
 */
@Injectable()
export class TracingInterceptor implements EventBusInterceptor {
  private readonly system: string;
  /** Loaded only when tracing is on; the chain calls no hook of a disabled interceptor. */
  private readonly api?: OpenTelemetryApi;

  constructor(
    @Inject(EVENT_BUS_RESOLVED_OPTIONS) private readonly options: ResolvedEventBusOptions,
    @Inject(EVENT_TRANSPORT) transport: EventTransport,
  ) {
    // 'kafka' is the convention's value; other transports report their own name.
    this.system = transport.name;
    if (options.tracing.enabled) {
      this.api = loadPackage<OpenTelemetryApi>('@opentelemetry/api', 'tracing.enabled: true');
    } else if (!isPackageInstalled('@opentelemetry/api')) {
      new Logger(TracingInterceptor.name).debug(tracingOffWithoutOpenTelemetry());
    }
  }

  get enabled(): boolean {
    return this.options.tracing.enabled;
  }

  beforePublish(event: OutgoingEvent): void {
    const { context, propagation, trace } = this.otel();
    const active = context.active();
    if (!trace.getSpanContext(active)) return;
    propagation.inject(active, event.headers);
  }

  async aroundSend(events: readonly SendingEvent[], next: () => Promise<void>): Promise<void> {
    const { ROOT_CONTEXT, SpanKind, propagation, trace } = this.otel();
    const tracer = trace.getTracer(EVENT_BUS_TRACER);
    const spans: Span[] = [];
    for (const event of events) {
      const parent = propagation.extract(ROOT_CONTEXT, event.headers);
      const span = tracer.startSpan(
        `send ${event.topic}`,
        { kind: SpanKind.PRODUCER, attributes: this.attributes('send', event.topic, event) },
        parent,
      );
      spans.push(span);
      this.carry(trace.setSpan(parent, span), event.headers);
    }
    try {
      await next();
    } catch (error) {
      for (const span of spans) this.fail(span, error);
      throw error;
    } finally {
      for (const span of spans) span.end();
    }
  }

  async aroundProcess(invocation: ProcessInvocation, next: () => Promise<void>): Promise<void> {
    const { ROOT_CONTEXT, SpanKind, context, propagation, trace } = this.otel();
    const ctx = invocation.context;
    // The record's headers carry traceparent/tracestate as the relay's send span left them.
    const parent = propagation.extract(ROOT_CONTEXT, ctx.headers);
    const attributes = this.attributes('process', ctx.topic, { id: ctx.eventId, key: ctx.key });
    attributes[MESSAGING_ATTRIBUTES.consumerGroup] = invocation.group;
    attributes[MESSAGING_ATTRIBUTES.partition] = String(ctx.partition);
    attributes[MESSAGING_ATTRIBUTES.offset] = Number(ctx.offset);
    const span = trace
      .getTracer(EVENT_BUS_TRACER)
      .startSpan(`process ${ctx.topic}`, { kind: SpanKind.CONSUMER, attributes }, parent);
    try {
      await context.with(trace.setSpan(parent, span), next);
    } catch (error) {
      this.fail(span, error);
      throw error;
    } finally {
      span.end();
    }
  }

  private attributes(
    operation: 'send' | 'process',
    topic: string,
    event: { id: string; key: string | null },
  ): Attributes {
    const attributes: Attributes = {
      [MESSAGING_ATTRIBUTES.system]: this.system,
      [MESSAGING_ATTRIBUTES.operationType]: operation,
      [MESSAGING_ATTRIBUTES.operationName]: operation,
      [MESSAGING_ATTRIBUTES.destination]: topic,
      [MESSAGING_ATTRIBUTES.messageId]: event.id,
    };
    if (this.options.tracing.recordKeys && event.key !== null) {
      attributes[MESSAGING_ATTRIBUTES.key] = event.key;
    }
    return attributes;
  }

  /** Puts the send span's context in the record, unless there is none to put (no SDK). */
  private carry(spanContext: Context, headers: Record<string, string>): void {
    const carried: Record<string, string> = {};
    this.otel().propagation.inject(spanContext, carried);
    if (!carried[CE_HEADERS.traceparent]) return;
    delete headers[CE_HEADERS.tracestate];
    Object.assign(headers, carried);
  }

  private fail(span: Span, error: unknown): void {
    const type = error instanceof Error ? error.name : 'Error';
    span.setAttribute(MESSAGING_ATTRIBUTES.errorType, type);
    span.setStatus({ code: this.otel().SpanStatusCode.ERROR, message: type });
    if (error instanceof Error) span.recordException(error);
  }

  private otel(): OpenTelemetryApi {
    // Only reachable through a hook, and hooks run only when enabled, that is with the API loaded.
    return this.api ?? loadPackage<OpenTelemetryApi>('@opentelemetry/api', 'tracing.enabled');
  }
}
