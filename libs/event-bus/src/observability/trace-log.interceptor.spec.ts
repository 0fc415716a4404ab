import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { v7 as uuidv7 } from 'uuid';
import { IntegrationEvent } from '../decorators/integration-event.decorator';
import { EventSubscribe } from '../decorators/event-subscribe.decorator';
import { EventPublisher } from '../event-bus.publisher';
import { EventBusMaintenance } from '../event-bus.maintenance';
import { resolveEventBusOptions } from '../options/resolve-event-bus-options';
import { compileTestApp } from '../__fixtures__/event-bus-test-app';
import { EventTraceStore } from '../storage/event-trace.store';
import { TraceLogInterceptor } from './trace-log.interceptor';

@IntegrationEvent({ type: 'log.shipped' })
class Shipped {
  constructor(readonly fail = false) {}
}

@Injectable()
class ShippedListener {
  @EventSubscribe(Shipped, { retry: { maxRetries: 1, initialMs: 1, maxMs: 1 } })
  onShipped(event: Shipped): void {
    if (event.fail) throw new RangeError('no such parcel');
  }
}

describe('TraceLogInterceptor', () => {
  let app: TestingModule;
  afterEach(() => app?.close());

  const boot = async (log: Record<string, unknown>) => {
    app = await compileTestApp({ providers: [ShippedListener], bus: { tracing: { log } } });
    await app.init();
    return {
      publish: async (event: Shipped) =>
        (await app.get(EventPublisher).publish(event, { newTransaction: true }))[0].id,
      interceptor: app.get(TraceLogInterceptor),
      store: app.get(EventTraceStore),
    };
  };

  /** Flushes the log until `eventId` has `count` hops; returns their stages. */
  const hops = async (
    interceptor: TraceLogInterceptor,
    store: EventTraceStore,
    eventId: string,
    count: number,
  ) => {
    for (let i = 0; i < 300; i++) {
      await interceptor.flush();
      const found = await store.findByEvent(eventId);
      if (found.length >= count) return found;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(
      `Fewer than ${count} hops of ${eventId}: ${JSON.stringify(await store.findByEvent(eventId))}`,
    );
  };

  it('logs published, sent, received and processed with the handler and times', async () => {
    const { publish, interceptor, store } = await boot({ enabled: true });
    const id = await publish(new Shipped());
    const found = await hops(interceptor, store, id, 4);
    const stage = (name: string) => found.find((h) => h.stage === name)!;
    // The in-memory broker delivers within the send, so "sent" (the acknowledgement) may come
    // after "received": the log keeps the real times rather than an idealised order.
    expect(found[0]).toMatchObject({ stage: 'published', handler: null, service: 'svc' });
    expect(stage('sent')).toMatchObject({ handler: null, durationMs: expect.any(Number) });
    expect(stage('received').handler).toBe('ShippedListener.onShipped');
    expect(stage('processed').handler).toBe('ShippedListener.onShipped');
    expect(stage('processed').at.getTime()).toBeGreaterThanOrEqual(stage('received').at.getTime());
    expect(found).toHaveLength(4);
  });

  it('logs each failed attempt with its error, then the dead letter', async () => {
    const { publish, interceptor, store } = await boot({ enabled: true });
    const id = await publish(new Shipped(true));
    const found = await hops(interceptor, store, id, 6);
    const handled = found.filter((h) => h.handler !== null).map((h) => h.stage);
    expect(handled).toEqual(['received', 'failed', 'failed', 'dead_lettered']);
    expect(found.find((h) => h.stage === 'failed')?.error).toBe('RangeError: no such parcel');
  });

  it('logs nothing when disabled, and the table stays empty', async () => {
    const { publish, interceptor, store } = await boot({ enabled: false });
    const id = await publish(new Shipped());
    await new Promise((resolve) => setTimeout(resolve, 200));
    await interceptor.flush();
    expect(await store.findByEvent(id)).toEqual([]);
  });

  it('samples by event id: the same answer every time, near the rate over many ids', async () => {
    const make = (sampleRate: number) =>
      new TraceLogInterceptor(
        resolveEventBusOptions({ serviceId: 'a', tracing: { log: { enabled: true, sampleRate } } }),
        {} as EventTraceStore,
      );
    const tenth = make(0.1);
    const other = make(0.1);
    const ids = Array.from({ length: 5000 }, () => uuidv7());
    const picked = ids.filter((id) => tenth.sampled(id));
    // Another service with the same rate samples exactly the same events.
    expect(ids.filter((id) => other.sampled(id))).toEqual(picked);
    expect(picked.length).toBeGreaterThan(350);
    expect(picked.length).toBeLessThan(650);
    expect(ids.every((id) => make(1).sampled(id))).toBe(true);
    expect(ids.some((id) => make(0).sampled(id))).toBe(false);
  });

  it('deletes rows past tracing.log.retentionMs in the retention clean-up', async () => {
    const { publish, interceptor, store } = await boot({ enabled: true, retentionMs: 60_000 });
    const id = await publish(new Shipped());
    await hops(interceptor, store, id, 4);
    const realNow = Date.now;
    Date.now = () => realNow() + 120_000;
    try {
      await app.get(EventBusMaintenance).runOnce();
    } finally {
      Date.now = realNow;
    }
    expect(await store.findByEvent(id)).toEqual([]);
  });
});
