import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { InMemoryBroker } from '@nestbus/event-bus';
import { MESSAGING_ATTRIBUTES } from '@nestbus/event-bus/operations';
import { createTestDatabase, eventually, TestDatabase } from './support/databases';
import { bootItemApp, ItemApp } from './support/item-app';
import { ItemCreated, newBehaviour } from './support/item-events.fixture';
import { KAFKA_BROKERS, requireKafka, uniqueName } from './support/kafka';

/**
 * The promise, on the real path: one trace from the request that published, through the
 * PostgreSQL commit, the relay and Kafka, to the handler. The OpenTelemetry SDK with an in-memory
 * exporter stands in for a collector; nothing of the bus is mocked.
 */
describe('tracing on PostgreSQL and Kafka', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let db: TestDatabase;
  let app: ItemApp;
  let prefix: string;

  beforeAll(async () => {
    await requireKafka();
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
    db = await createTestDatabase('postgres');
    prefix = uniqueName('trace');
    app = await bootItemApp(db, new InMemoryBroker(), newBehaviour(), {
      serviceId: prefix,
      transport: { type: 'kafka', brokers: KAFKA_BROKERS },
      topics: { naming: (type: string) => `${prefix}.${type}` },
    });
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
    await provider.shutdown();
    trace.disable();
    propagation.disable();
    context.disable();
  });

  it('links the request, the send and the processing of an event in one trace', async () => {
    const tracer = trace.getTracer('test');
    await tracer.startActiveSpan('POST /items', { kind: SpanKind.SERVER }, async (request) => {
      try {
        await app.items.create('traced', 1);
      } finally {
        request.end();
      }
    });
    const outcome = await app.helper.waitForHandled(ItemCreated, { timeoutMs: 30000 });
    await eventually(
      () => exporter.getFinishedSpans().some((s) => s.kind === SpanKind.CONSUMER),
      'the process span',
    );

    const spans = exporter.getFinishedSpans();
    const request = spans.find((s) => s.kind === SpanKind.SERVER)!;
    const send = spans.find((s) => s.kind === SpanKind.PRODUCER)!;
    const process = spans.find((s) => s.kind === SpanKind.CONSUMER)!;
    const traceId = request.spanContext().traceId;
    expect(send.spanContext().traceId).toBe(traceId);
    expect(process.spanContext().traceId).toBe(traceId);
    expect(send.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(process.parentSpanContext?.spanId).toBe(send.spanContext().spanId);
    const topic = `${prefix}.test.item-created`;
    expect(send.name).toBe(`send ${topic}`);
    expect(process.attributes).toMatchObject({
      [MESSAGING_ATTRIBUTES.system]: 'kafka',
      [MESSAGING_ATTRIBUTES.destination]: topic,
      [MESSAGING_ATTRIBUTES.messageId]: outcome.eventId,
      [MESSAGING_ATTRIBUTES.consumerGroup]: prefix,
      [MESSAGING_ATTRIBUTES.partition]: expect.stringMatching(/^\d+$/),
      [MESSAGING_ATTRIBUTES.offset]: expect.any(Number),
    });
  });
});
