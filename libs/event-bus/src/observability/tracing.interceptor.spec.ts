import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type SpanContext,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { DataSource } from 'typeorm';
import { IntegrationEvent } from '../decorators/integration-event.decorator';
import { EventSubscribe } from '../decorators/event-subscribe.decorator';
import { EventPublisher } from '../event-bus.publisher';
import type { EventContext } from '../interfaces/event-context.interface';
import { OutboxMessage } from '../storage/typeorm/entities/outbox-message.entity';
import { compileTestApp, waitUntil } from '../__fixtures__/event-bus-test-app';
import { EventBusTestHelper } from '../../testing';
import { MESSAGING_ATTRIBUTES } from './tracing.interceptor';

@IntegrationEvent({ type: 'trace.ordered', key: (e: Ordered) => e.customer })
class Ordered {
  constructor(
    readonly customer: string,
    readonly fail = false,
  ) {}
}

class Boom extends Error {
  override name = 'Boom';
}

@Injectable()
class OrderListener {
  /** The span active inside the handler, per event id. */
  readonly seen = new Map<string, SpanContext | undefined>();

  @EventSubscribe(Ordered, { retry: { maxRetries: 1, initialMs: 1, maxMs: 1 } })
  onOrdered(event: Ordered, ctx: EventContext): void {
    this.seen.set(ctx.eventId, trace.getActiveSpan()?.spanContext());
    if (event.fail) throw new Boom('card declined');
  }
}

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
});

afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  propagation.disable();
  context.disable();
});

describe('TracingInterceptor (OpenTelemetry SDK with an in-memory exporter)', () => {
  let app: TestingModule;

  beforeEach(() => exporter.reset());
  afterEach(() => app?.close());

  const boot = async (tracing = {}) => {
    app = await compileTestApp({ providers: [OrderListener], bus: { tracing } });
    await app.init();
    return {
      publisher: app.get(EventPublisher),
      listener: app.get(OrderListener),
      helper: app.get(EventBusTestHelper),
    };
  };
  const spans = (kind: SpanKind) => exporter.getFinishedSpans().filter((s) => s.kind === kind);
  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

  it('runs one trace from the publishing request through the relay to the handler', async () => {
    const { publisher, listener } = await boot();
    const tracer = trace.getTracer('test');
    const [published] = await tracer.startActiveSpan(
      'POST /orders',
      { kind: SpanKind.SERVER },
      async (request) => {
        try {
          return await publisher.publish(new Ordered('c-1'), { newTransaction: true });
        } finally {
          request.end();
        }
      },
    );
    await waitUntil(() => spans(SpanKind.CONSUMER).length === 1, 'the process span');

    const [request] = spans(SpanKind.SERVER);
    const [send] = spans(SpanKind.PRODUCER);
    const [process] = spans(SpanKind.CONSUMER);
    const traceId = request.spanContext().traceId;
    expect(send.name).toBe('send trace.ordered');
    expect(process.name).toBe('process trace.ordered');
    expect([send, process].map((s) => s.spanContext().traceId)).toEqual([traceId, traceId]);
    expect(parentOf(send)).toBe(request.spanContext().spanId);
    expect(parentOf(process)).toBe(send.spanContext().spanId);
    // The handler runs inside the process span, so its own spans nest under it.
    expect(listener.seen.get(published.id)?.spanId).toBe(process.spanContext().spanId);

    // The request's context was captured into the outbox row at publish time.
    const row = await app
      .get(DataSource)
      .getRepository(OutboxMessage)
      .findOneByOrFail({ id: published.id });
    expect(JSON.parse(row.headers).traceparent).toBe(
      `00-${traceId}-${request.spanContext().spanId}-01`,
    );

    expect(send.attributes).toMatchObject({
      [MESSAGING_ATTRIBUTES.system]: 'in-memory',
      [MESSAGING_ATTRIBUTES.operationType]: 'send',
      [MESSAGING_ATTRIBUTES.destination]: 'trace.ordered',
      [MESSAGING_ATTRIBUTES.messageId]: published.id,
    });
    expect(process.attributes).toMatchObject({
      [MESSAGING_ATTRIBUTES.operationType]: 'process',
      [MESSAGING_ATTRIBUTES.destination]: 'trace.ordered',
      [MESSAGING_ATTRIBUTES.messageId]: published.id,
      [MESSAGING_ATTRIBUTES.consumerGroup]: 'svc',
      [MESSAGING_ATTRIBUTES.partition]: expect.stringMatching(/^\d+$/),
      [MESSAGING_ATTRIBUTES.offset]: 0,
    });
    // Keys can be personal data: not recorded unless asked for.
    expect(send.attributes[MESSAGING_ATTRIBUTES.key]).toBeUndefined();
    expect(process.attributes[MESSAGING_ATTRIBUTES.key]).toBeUndefined();
    expect(process.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('records the message key only when tracing.recordKeys is on', async () => {
    const { publisher } = await boot({ recordKeys: true });
    await publisher.publish(new Ordered('c-2'), { newTransaction: true });
    await waitUntil(() => spans(SpanKind.CONSUMER).length === 1, 'the process span');
    expect(spans(SpanKind.PRODUCER)[0].attributes[MESSAGING_ATTRIBUTES.key]).toBe('c-2');
    expect(spans(SpanKind.CONSUMER)[0].attributes[MESSAGING_ATTRIBUTES.key]).toBe('c-2');
  });

  it('marks each failed attempt with error.type, and the send span starts a trace of its own without a request', async () => {
    const { publisher, helper } = await boot();
    await publisher.publish(new Ordered('c-3', true), { newTransaction: true });
    await helper.waitForHandled(Ordered, { status: 'dead_lettered' });
    const [send] = spans(SpanKind.PRODUCER);
    expect(send.parentSpanContext).toBeUndefined();
    // The batch path's attempt, then the per-record path's two (maxRetries: 1): each ran the
    // handler, and each span says it failed.
    expect(spans(SpanKind.CONSUMER)).toHaveLength(3);
    for (const attempt of spans(SpanKind.CONSUMER)) {
      expect(attempt.status).toEqual({ code: SpanStatusCode.ERROR, message: 'Boom' });
      expect(attempt.attributes[MESSAGING_ATTRIBUTES.errorType]).toBe('Boom');
      expect(parentOf(attempt)).toBe(send.spanContext().spanId);
    }
  });

  it('opens no spans when tracing.enabled is false', async () => {
    const { publisher, listener, helper } = await boot({ enabled: false });
    const [published] = await trace
      .getTracer('test')
      .startActiveSpan('request', async (request) => {
        try {
          return await publisher.publish(new Ordered('c-4'), { newTransaction: true });
        } finally {
          request.end();
        }
      });
    await helper.waitForHandled(Ordered);
    expect(listener.seen.has(published.id)).toBe(true);
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['request']);
  });
});
