import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { RecordingLogger } from '../src/__fixtures__/event-bus-test-app';
import { IntegrationEvent } from '../src/decorators/integration-event.decorator';
import { EventSubscribe } from '../src/decorators/event-subscribe.decorator';
import { EVENT_BUS_RESOLVED_OPTIONS } from '../src/event-bus.constants';
import { EVENT_BUS_ENTITIES } from '../src/event-bus.entities';
import { EventPublisher } from '../src/event-bus.publisher';
import type { ResolvedEventBusOptions } from '../src/interfaces/event-bus-options.interface';
import { EVENT_BUS_DEFAULTS } from '../src/options/event-bus-defaults';
import { InMemoryBroker } from '../src/transports/in-memory/in-memory-broker';
import { EventBusTestHelper, EventBusTestingModule, type EventBusTestingOptions } from '.';

@IntegrationEvent({ type: 'testing.order-placed' })
class OrderPlaced {
  constructor(
    readonly item: string,
    readonly quantity = 1,
  ) {}
}

@Injectable()
class ShippingHandler {
  readonly shipped: string[] = [];

  @EventSubscribe(OrderPlaced)
  onPlaced(event: OrderPlaced): void {
    this.shipped.push(event.item);
  }
}

describe('EventBusTestingModule', () => {
  const apps: TestingModule[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  /** The app of the README's "Testing" section. */
  const boot = async (options?: EventBusTestingOptions, providers = [ShippingHandler]) => {
    const app = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({
          type: 'better-sqlite3',
          database: ':memory:',
          entities: EVENT_BUS_ENTITIES,
          synchronize: true,
        }),
        EventBusTestingModule.forRoot(options),
      ],
      providers,
    })
      .setLogger(new RecordingLogger())
      .compile();
    apps.push(app);
    await app.init();
    return {
      app,
      helper: app.get(EventBusTestHelper),
      publisher: app.get(EventPublisher),
      options: app.get<ResolvedEventBusOptions>(EVENT_BUS_RESOLVED_OPTIONS),
    };
  };

  it("sets fast polls and retries where the options say nothing, over forRoot's defaults", async () => {
    const { options } = await boot();

    expect(options.serviceId).toBe('test-service');
    expect(options.outbox.pollIntervalMs).toBe(50);
    expect(options.outbox.redeliverOnStartupMs).toBe(0);
    expect(options.outbox.batchSize).toBe(EVENT_BUS_DEFAULTS.outbox.batchSize);
    expect(options.consumer.retry).toEqual({
      ...EVENT_BUS_DEFAULTS.consumer.retry,
      initialMs: 5,
      maxMs: 50,
    });
    expect(options.shutdownTimeoutMs).toBe(5000);
  });

  it('keeps what the options say, merging retry and outbox key by key', async () => {
    const { options } = await boot({
      serviceId: 'orders',
      outbox: { pollIntervalMs: 10 },
      consumer: { retry: { maxRetries: 1 } },
      shutdownTimeoutMs: 100,
    });

    expect(options.serviceId).toBe('orders');
    expect(options.outbox.pollIntervalMs).toBe(10);
    expect(options.outbox.redeliverOnStartupMs).toBe(0);
    expect(options.consumer.retry).toEqual({
      ...EVENT_BUS_DEFAULTS.consumer.retry,
      initialMs: 5,
      maxMs: 50,
      maxRetries: 1,
    });
    expect(options.shutdownTimeoutMs).toBe(100);
  });

  it('awaits a handled event by its payload and sees it sent, as the README shows', async () => {
    const { app, helper, publisher } = await boot();

    await publisher.publish([new OrderPlaced('pen'), new OrderPlaced('book', 2)], {
      newTransaction: true,
    });
    const outcome = await helper.waitForHandled(OrderPlaced, { where: (e) => e.item === 'book' });
    const sent = await helper.expectPublished(OrderPlaced, { item: 'book' });

    expect(outcome).toMatchObject({
      type: 'testing.order-placed',
      handlerId: 'ShippingHandler.onPlaced',
      status: 'success',
      group: 'test-service',
    });
    expect(app.get(ShippingHandler).shipped).toContain('book');
    expect(sent).toMatchObject({
      type: 'testing.order-placed',
      payload: { item: 'book', quantity: 2 },
    });
    expect(helper.sent(OrderPlaced).map((e) => e.payload.item)).toEqual(['pen', 'book']);
  });

  it('counts only the outcomes that `where` matches in waitForCount', async () => {
    const { helper, publisher } = await boot();

    await publisher.publish(
      [new OrderPlaced('pen'), new OrderPlaced('book'), new OrderPlaced('book')],
      { newTransaction: true },
    );
    const books = await helper.waitForCount(OrderPlaced, 2, { where: (e) => e.item === 'book' });
    await helper.waitForCount(OrderPlaced, 3);

    expect(books).toHaveLength(2);
    await expect(
      helper.waitForCount(OrderPlaced, 3, { where: (e) => e.item === 'book', timeoutMs: 100 }),
    ).rejects.toThrow('Expected 3 success outcomes for "testing.order-placed", saw 2');
  });

  it('never reports an event whose transaction rolled back as published', async () => {
    const { app, helper, publisher } = await boot();

    await expect(
      app.get(DataSource).transaction(async (manager) => {
        await publisher.publish(new OrderPlaced('ghost'), { manager });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await publisher.publish(new OrderPlaced('pen'), { newTransaction: true });
    await helper.expectPublished(OrderPlaced, { item: 'pen' });

    await expect(
      helper.expectPublished(OrderPlaced, { item: 'ghost' }, { timeoutMs: 100 }),
    ).rejects.toThrow('No "testing.order-placed" event matching {"item":"ghost"} was published');
    expect(helper.sent().map((e) => (e.payload as OrderPlaced).item)).toEqual(['pen']);
  });

  it('fails a wait after its timeout, naming what it saw', async () => {
    const { helper, publisher } = await boot();

    await publisher.publish(new OrderPlaced('pen'), { newTransaction: true });
    await helper.waitForHandled(OrderPlaced);

    await expect(
      helper.waitForHandled(OrderPlaced, { status: 'dead_lettered', timeoutMs: 100 }),
    ).rejects.toThrow(
      'Timed out after 100 ms. No dead_lettered outcome for "testing.order-placed"; seen: testing.order-placed/ShippingHandler.onPlaced=success',
    );
  });

  it('lets two apps share a broker given as `broker`', async () => {
    const broker = new InMemoryBroker();
    const publishing = await boot({ serviceId: 'orders', broker }, []);
    const shipping = await boot({ serviceId: 'shipping', broker });

    await publishing.publisher.publish(new OrderPlaced('pen'), { newTransaction: true });
    const outcome = await shipping.helper.waitForHandled(OrderPlaced);

    expect(outcome.group).toBe('shipping');
    expect(shipping.app.get(ShippingHandler).shipped).toEqual(['pen']);
    expect(publishing.helper.sent(OrderPlaced)).toHaveLength(1);
  });
});
