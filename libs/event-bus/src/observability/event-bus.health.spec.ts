import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { Event } from '../decorators/event.decorator';
import { EventSubscribe } from '../decorators/event-subscribe.decorator';
import { EventConsumer } from '../consumer/event-consumer';
import { OutboxMessage } from '../outbox/outbox-message.entity';
import { compileTestApp } from '../__fixtures__/event-bus-test-app';
import { EventBusHealthIndicator } from './event-bus.health';

@Event({ type: 'health.pinged' })
class Pinged {}

@Injectable()
class PingListener {
  @EventSubscribe(Pinged)
  onPinged(): void {}
}

describe('EventBusHealthIndicator', () => {
  let app: TestingModule;

  afterEach(() => app.close());

  const boot = async (health = {}): Promise<EventBusHealthIndicator> => {
    app = await compileTestApp({
      providers: [PingListener],
      bus: { outbox: { enabled: false }, health },
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
});
