import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { IntegrationEvent } from '../decorators/integration-event.decorator';
import { EventSubscribe } from '../decorators/event-subscribe.decorator';
import { EventConsumer } from '../consumer/event-consumer';
import { OutboxMessage } from '../storage/typeorm/entities/outbox-message.entity';
import { compileTestApp, waitUntil } from '../__fixtures__/event-bus-test-app';
import { EventPublisher } from '../event-bus.publisher';
import { OutboxStore } from '../storage/outbox.store';
import { EventBusHealthIndicator } from './event-bus.health';

@IntegrationEvent({ type: 'health.pinged' })
class Pinged {}

@Injectable()
class PingListener {
  /** While set, the handler hangs: its partition stops moving. */
  hold?: Promise<void>;

  @EventSubscribe(Pinged)
  async onPinged(): Promise<void> {
    await this.hold;
  }
}

describe('EventBusHealthIndicator', () => {
  let app: TestingModule;

  afterEach(() => app.close());

  const boot = async (health = {}, relay = false): Promise<EventBusHealthIndicator> => {
    app = await compileTestApp({
      providers: [PingListener],
      bus: { outbox: { enabled: relay }, health },
    });
    await app.init();
    return app.get(EventBusHealthIndicator);
  };

  it('is up with the consumer joined and no backlog', async () => {
    const indicator = await boot();
    const result = await indicator.isHealthy('eventBus');
    expect(result.eventBus.status).toBe('up');
    expect(result.eventBus).toMatchObject({
      transport: 'up',
      consumerGroups: [{ groupId: 'svc', joined: true }],
      outbox: { pending: 0, failed: 0 },
    });
  });

  it('is down, naming the group, when the consumer is not running', async () => {
    const indicator = await boot();
    await app.get(EventConsumer).stop();
    const result = await indicator.isHealthy('eventBus');
    expect(result.eventBus.status).toBe('down');
    expect(result.eventBus.problems).toEqual(['consumer group svc not joined']);
  });

  it('is down, naming the outbox, when the oldest pending event is too old', async () => {
    const indicator = await boot({ maxPendingAgeMs: 60_000 });
    const old = new Date(Date.now() - 10 * 60_000);
    await app.get(DataSource).getRepository(OutboxMessage).insert({
      id: '0192a3b4-0000-7000-8000-000000000001',
      type: 'health.pinged',
      version: 1,
      key: null,
      topic: 'health.pinged',
      destination: null,
      payload: '{}',
      headers: '{}',
      status: 'pending',
      attempts: 0,
      nextAttemptAt: old,
      lastError: null,
      createdAt: old,
      publishedAt: null,
    });
    const result = await indicator.isHealthy('eventBus');
    expect(result.eventBus.status).toBe('down');
    expect(result.eventBus.problems).toEqual([
      expect.stringMatching(/^oldest pending outbox event is 6\d\d s old/),
    ]);
  });

  it('is down, naming the partition, when its records have not moved past health.maxStalledMs', async () => {
    const indicator = await boot({ maxStalledMs: 1000 }, true);
    const listener = app.get(PingListener);
    let release!: () => void;
    listener.hold = new Promise((resolve) => (release = resolve));
    await app.get(EventPublisher).publish(new Pinged(), { newTransaction: true });
    await new Promise((r) => setTimeout(r, 1300));
    const stuck = await indicator.isHealthy('eventBus');
    expect(stuck.eventBus.status).toBe('down');
    expect(stuck.eventBus.problems).toEqual([
      expect.stringMatching(/^svc health\.pinged\[\d+\] has not moved for 1 s \(max 1 s\)$/),
    ]);
    release();
    await waitUntil(
      async () => (await indicator.isHealthy('eventBus')).eventBus.status === 'up',
      'healthy again once the partition moves',
    );
  });

  it('answers within its bound, naming the outbox, when the database never answers', async () => {
    const indicator = await boot();
    jest.spyOn(app.get(OutboxStore), 'counts').mockReturnValue(new Promise(() => undefined));
    const started = Date.now();
    const result = await indicator.isHealthy('eventBus');
    expect(Date.now() - started).toBeLessThan(2900);
    expect(result.eventBus.status).toBe('down');
    expect(result.eventBus.outbox).toBe('unknown');
    expect(result.eventBus.problems).toEqual([
      'outbox unreadable: the database did not answer within 2 s',
    ]);
  });
});
