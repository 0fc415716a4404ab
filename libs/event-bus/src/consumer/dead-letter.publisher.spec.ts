import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { IntegrationEvent } from '../decorators/integration-event.decorator';
import { EventSubscribe } from '../decorators/event-subscribe.decorator';
import { EventPublisher } from '../event-bus.publisher';
import { DLQ_HEADERS } from '../event-bus.constants';
import { TransportError } from '../errors/transport.error';
import { ParkedDeadLetterStore } from '../storage/parked-dead-letter.store';
import { ScriptedTransport } from '../__fixtures__/scripted.transport';
import { compileTestApp } from '../__fixtures__/event-bus-test-app';
import { EventBusTestHelper } from '../../testing';

@IntegrationEvent({ type: 'parked.order', key: (e: Order) => e.customer })
class Order {
  constructor(
    readonly customer: string,
    readonly n: number,
    readonly poison = false,
  ) {}
}

@Injectable()
class OrderHandler {
  readonly applied: number[] = [];

  @EventSubscribe(Order, { retry: { maxRetries: 0, initialMs: 1, maxMs: 1 } })
  onOrder(event: Order): void {
    if (event.poison) throw new Error('order rejected');
    this.applied.push(event.n);
  }
}

describe('DeadLetterPublisher when the broker refuses a dead letter for good', () => {
  let app: TestingModule;
  afterEach(() => app?.close());

  it('keeps the record whole in event_dead_letter, sends a reduced letter, and the key flows on', async () => {
    const transport = new ScriptedTransport();
    // Like MESSAGE_TOO_LARGE: the full dead letter is refused, a reduced one (no value) is not.
    transport.failWhen((records) =>
      records.some((r) => r.topic.endsWith('.dlq') && r.value.length > 0)
        ? new TransportError('MESSAGE_TOO_LARGE', { retriable: false })
        : undefined,
    );
    app = await compileTestApp({
      providers: [OrderHandler],
      bus: {
        transport: { type: 'custom', transport },
        consumer: { retry: { maxRetries: 0, initialMs: 1, maxMs: 1 } },
      },
    });
    await app.init();
    const publisher = app.get(EventPublisher);
    const handler = app.get(OrderHandler);

    await publisher.publish([new Order('c1', 1, true), new Order('c1', 2)], {
      newTransaction: true,
    });
    await app.get(EventBusTestHelper).waitForHandled(Order, { where: (e) => e.n === 2 });
    expect(handler.applied).toEqual([2]);

    const parked = await app.get(ParkedDeadLetterStore).list();
    expect(parked).toHaveLength(1);
    const [row] = parked;
    const original = transport
      .sent()
      .find((r) => r.topic === 'parked.order' && r.value.includes('"n":1'))!;
    expect(row.value.equals(original.value)).toBe(true);
    expect(row.rawKey?.toString()).toBe('c1');
    expect(row.rawHeaders['ce_type'].map(String)).toEqual(['parked.order']);
    expect(row).toMatchObject({
      topic: 'parked.order',
      errorType: 'Error',
      refusal: expect.stringContaining('MESSAGE_TOO_LARGE'),
    });

    const reduced = transport.sent().filter((r) => r.topic === 'parked.order.dlq');
    expect(reduced).toHaveLength(1);
    expect(reduced[0].value.length).toBe(0);
    expect(reduced[0].headers[DLQ_HEADERS.parkedId]).toBe(row.id);
    expect(reduced[0].headers[DLQ_HEADERS.errorMessage]).toBe('order rejected');
    expect(reduced[0].headers[DLQ_HEADERS.originalSize]).toBe(String(original.value.length));
  });
});
