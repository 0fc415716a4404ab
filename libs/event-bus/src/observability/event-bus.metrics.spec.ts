import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { IntegrationEvent } from '../decorators/integration-event.decorator';
import { EventSubscribe } from '../decorators/event-subscribe.decorator';
import { EVENT_TRANSPORT } from '../event-bus.constants';
import { EventPublisher } from '../event-bus.publisher';
import { EventConsumer } from '../consumer/event-consumer';
import type { EventTransport } from '../transports/event-transport.interface';
import { InMemoryBroker } from '../transports/in-memory/in-memory-broker';
import { compileTestApp, outboxRow, waitUntil } from '../__fixtures__/event-bus-test-app';
import { ScriptedTransport } from '../__fixtures__/scripted.transport';
import { OutboxMessage } from '../storage/typeorm/entities/outbox-message.entity';
import { OutboxRelay } from '../outbox/outbox.relay';
import { EVENT_BUS_METRICS as M } from './event-bus.metrics';

@IntegrationEvent({ type: 'metrics.done', key: (e: Done) => e.id })
class Done {
  constructor(
    readonly id: string,
    readonly fail = false,
  ) {}
}

@Injectable()
class DoneListener {
  handled = 0;

  @EventSubscribe(Done, { retry: { maxRetries: 1, initialMs: 1, maxMs: 1 } })
  onDone(event: Done): void {
    if (event.fail) throw new TypeError('bad state');
    this.handled++;
  }
}

const HANDLER = 'DoneListener.onDone';

@IntegrationEvent({ type: 'metrics.slow' })
class Slow {}

/** Holds its handler until `release()`, so a spec can look at the bus mid-record. */
@Injectable()
class SlowListener {
  started = false;
  release!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.release = resolve));

  @EventSubscribe(Slow)
  async onSlow(): Promise<void> {
    this.started = true;
    await this.gate;
  }
}

describe('EventBusMetrics', () => {
  let registry: Registry;
  const apps: TestingModule[] = [];

  beforeEach(() => (registry = new Registry()));
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  const boot = async (bus: Record<string, unknown> = {}, serviceId = 'svc') => {
    const app = await compileTestApp({
      providers: [DoneListener, SlowListener],
      bus: { serviceId, metrics: { registry }, ...bus },
    });
    apps.push(app);
    await app.init();
    return app;
  };

  /** The value of one series, or undefined when it does not exist. */
  const value = async (name: string, labels: Record<string, string>) => {
    const metric = registry.getSingleMetric(name);
    if (!metric) return undefined;
    const { values } = await metric.get();
    return values.find(
      (v) =>
        !('metricName' in v && v.metricName !== name) &&
        Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l),
    )?.value;
  };
  const processed = (outcome: string, labels: Record<string, string> = {}) =>
    value(M.processed, {
      service: 'svc',
      type: 'metrics.done',
      handler: HANDLER,
      outcome,
      ...labels,
    });

  it('counts an event published, sent and handled, with its durations and the lag', async () => {
    const app = await boot();
    // Every outcome series exists from the start, at 0, so alerts see the first failure.
    expect(await processed('dead_lettered')).toBe(0);
    await app.get(EventPublisher).publish(new Done('a'), { newTransaction: true });
    await waitUntil(async () => (await processed('success')) === 1, 'a success');

    expect(await value(M.published, { service: 'svc', type: 'metrics.done' })).toBe(1);
    expect(await value(M.sent, { service: 'svc', type: 'metrics.done' })).toBe(1);
    expect(await processed('failed')).toBe(0);
    const durations = registry.getSingleMetric(M.processingDuration)!;
    const count = (await durations.get()).values.find(
      (v) => (v as { metricName?: string }).metricName === `${M.processingDuration}_count`,
    );
    expect(count?.value).toBe(1);
    const latency = (await registry.getSingleMetric(M.endToEndLatency)!.get()).values.find(
      (v) => (v as { metricName?: string }).metricName === `${M.endToEndLatency}_count`,
    );
    expect(latency?.labels).toEqual({ service: 'svc', type: 'metrics.done', handler: HANDLER });
    expect(latency?.value).toBe(1);
    expect(await value(M.inFlight, { service: 'svc' })).toBe(0);
    expect(
      await value(M.consumerLag, { service: 'svc', group: 'svc', topic: 'metrics.done' }),
    ).toBe(0);
    expect(await value(M.outboxPending, { service: 'svc' })).toBe(0);
    expect(await value(M.outboxOldestAge, { service: 'svc' })).toBe(0);
  });

  it('counts retries, the handler giving up, the dead letter and the paused partition', async () => {
    const app = await boot();
    await app.get(EventPublisher).publish(new Done('b', true), { newTransaction: true });
    await waitUntil(async () => (await processed('dead_lettered')) === 1, 'a dead letter');
    expect(await processed('retried')).toBe(1);
    expect(await processed('failed')).toBe(1);
    expect(await processed('success')).toBe(0);
    expect(await value(M.backpressurePauses, { service: 'svc', topic: 'metrics.done' })).toBe(1);
  });

  it('shows the records in flight while a handler runs, and 0 once it is done', async () => {
    const app = await boot();
    const listener = app.get(SlowListener);
    await app.get(EventPublisher).publish(new Slow(), { newTransaction: true });
    await waitUntil(() => listener.started, 'the handler to start');

    expect(await value(M.inFlight, { service: 'svc' })).toBe(1);
    listener.release();
    await waitUntil(async () => (await value(M.inFlight, { service: 'svc' })) === 0, 'done');
  });

  it('counts a failed send of outbox rows, then the send that succeeds', async () => {
    const transport = new ScriptedTransport();
    transport.failNext(1, () => new Error('broker unreachable'));
    const app = await boot({
      transport: { type: 'custom', transport },
      outbox: { backoff: { initialMs: 10, maxMs: 10 } },
    });
    await app.get(EventPublisher).publish(new Done('f'), { newTransaction: true });
    await waitUntil(async () => (await processed('success')) === 1, 'the event handled');

    expect(await value(M.sendFailures, { service: 'svc' })).toBe(1);
    expect(await value(M.sent, { service: 'svc', type: 'metrics.done' })).toBe(1);
  });

  it('labels an undecodable record type="unknown", handler="none", never with its id', async () => {
    const app = await boot();
    await app.get<EventTransport>(EVENT_TRANSPORT).send([
      {
        topic: 'metrics.done',
        key: null,
        value: Buffer.from('{"not": "a cloud event"'),
        headers: { ce_id: 'evil-id-123', ce_type: 'attacker.chosen.type' },
      },
    ]);
    const undecodable = { service: 'svc', type: 'unknown', handler: 'none' };
    await waitUntil(
      async () => (await value(M.processed, { ...undecodable, outcome: 'dead_lettered' })) === 1,
      'the undecodable record dead-lettered',
    );
    const text = await registry.metrics();
    expect(text).not.toContain('evil-id-123');
    expect(text).not.toContain('attacker.chosen.type');
  });

  it('reads the outbox backlog at scrape time, per service sharing one registry', async () => {
    const broker = new InMemoryBroker();
    const transport = { type: 'in-memory' as const, broker };
    const publisher = await boot({ transport, outbox: { enabled: false } }, 'publisher');
    await boot({ transport }, 'other');
    await publisher.get(EventPublisher).publish(new Done('c'), { newTransaction: true });
    await new Promise((resolve) => setTimeout(resolve, 1100)); // past the counts cache
    expect(await value(M.outboxPending, { service: 'publisher' })).toBe(1);
    expect(await value(M.outboxOldestAge, { service: 'publisher' })).toBeGreaterThan(1);
    expect(await value(M.outboxPending, { service: 'other' })).toBe(0);

    expect(await value(M.consumerLag, { service: 'other' })).toBeDefined();
    await apps.pop()!.close();
    // A closed application's series are gone; the other application keeps reporting.
    expect(await value(M.outboxPending, { service: 'other' })).toBeUndefined();
    expect(await value(M.consumerLag, { service: 'other' })).toBeUndefined();
    expect(await value(M.outboxPending, { service: 'publisher' })).toBe(1);
  });

  it('shows the lag of a stopped consumer growing, read from committed offsets', async () => {
    const app = await boot();
    const publisher = app.get(EventPublisher);
    await publisher.publish(new Done('d'), { newTransaction: true });
    await waitUntil(async () => (await processed('success')) === 1, 'a success');
    await app.get(EventConsumer).stop();
    await publisher.publish([new Done('e'), new Done('f'), new Done('g')], {
      newTransaction: true,
    });
    await waitUntil(
      async () => (await value(M.sent, { service: 'svc', type: 'metrics.done' })) === 4,
      'three more sent',
    );
    await new Promise((resolve) => setTimeout(resolve, 1100)); // past the lag cache
    const { values } = await registry.getSingleMetric(M.consumerLag)!.get();
    const lag = values
      .filter((v) => v.labels.group === 'svc' && v.labels.topic === 'metrics.done')
      .reduce((sum, v) => sum + v.value, 0);
    expect(lag).toBe(3);
  });

  it('labels a sent row of a type not registered here type="unknown"', async () => {
    const app = await boot();
    await app
      .get(DataSource)
      .getRepository(OutboxMessage)
      .insert(
        outboxRow('0192a3b4-0000-7000-8000-0000000000aa', {
          type: 'replayed.attacker-chosen',
          topic: 'metrics.done',
          createdAt: new Date(),
        }),
      );
    app.get(OutboxRelay).wake();
    await waitUntil(
      async () => (await value(M.sent, { service: 'svc', type: 'unknown' })) === 1,
      'the row sent',
    );
    expect(await registry.metrics()).not.toContain('attacker-chosen');
  });

  it('counts a publish only once its transaction commits', async () => {
    const app = await boot({ outbox: { enabled: false } });
    const publisher = app.get(EventPublisher);
    await expect(
      app.get(DataSource).transaction(async (manager) => {
        await publisher.publish(new Done('rolled back'), { manager });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await publisher.publish(new Done('kept'), { newTransaction: true });
    expect(await value(M.published, { service: 'svc', type: 'metrics.done' })).toBe(1);
  });

  it('registers nothing with metrics.enabled false', async () => {
    await boot({ metrics: { enabled: false, registry } });
    expect(registry.getMetricsAsArray()).toEqual([]);
  });
});
