import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { IntegrationEvent } from '../decorators/integration-event.decorator';
import { EventInterceptor } from '../decorators/event-interceptor.decorator';
import { EventSubscribe } from '../decorators/event-subscribe.decorator';
import { EventPublisher } from '../event-bus.publisher';
import type {
  EventBusInterceptor,
  OutgoingEvent,
  SendingEvent,
} from '../interfaces/event-bus-interceptor.interface';
import type { EventContext } from '../interfaces/event-context.interface';
import { compileTestApp, waitUntil } from '../__fixtures__/event-bus-test-app';
import { InterceptorChain } from './interceptor-chain';
import { OutboxMessage } from '../storage/typeorm/entities/outbox-message.entity';

@IntegrationEvent({ type: 'chain.pinged' })
class Pinged {}

@Injectable()
class PingListener {
  readonly headers: Array<Readonly<Record<string, string>>> = [];
  failing = false;

  @EventSubscribe(Pinged, { retry: { maxRetries: 1, initialMs: 1, maxMs: 1 } })
  onPinged(_event: Pinged, ctx: EventContext): void {
    if (this.failing) throw new Error('handler failed');
    this.headers.push(ctx.headers);
  }
}

/** Every hook call, in order, as `<name>.<hook>`. */
const calls: string[] = [];

function recorder(name: string): EventBusInterceptor {
  return {
    beforePublish: () => void calls.push(`${name}.beforePublish`),
    afterPublish: () => void calls.push(`${name}.afterPublish`),
    onCommitted: () => void calls.push(`${name}.onCommitted`),
    aroundSend: async (events: readonly SendingEvent[], next: () => Promise<void>) => {
      calls.push(`${name}.aroundSend:in`);
      events[0].headers[`x-${name}`] = 'seen';
      await next();
      calls.push(`${name}.aroundSend:out`);
    },
    onSent: () => void calls.push(`${name}.onSent`),
  };
}

@EventInterceptor({ order: 2 })
class Second {
  constructor() {
    Object.assign(this, recorder('second'));
  }
}

@EventInterceptor({ order: 1 })
class First {
  constructor() {
    Object.assign(this, recorder('first'));
  }
}

describe('InterceptorChain', () => {
  let app: TestingModule;

  beforeEach(async () => {
    calls.length = 0;
    app = await compileTestApp({
      providers: [PingListener, Second, First],
      bus: { interceptors: [recorder('option')] },
    });
    await app.init();
    app.get(InterceptorChain).add(recorder('added'));
  });
  afterEach(() => app.close());

  const of = (hook: string) => calls.filter((c) => c.endsWith(hook)).map((c) => c.split('.')[0]);

  it('runs discovered (by order), then option, then added interceptors; afterPublish in reverse', async () => {
    await app.get(EventPublisher).publish(new Pinged(), { newTransaction: true });
    await waitUntil(() => of('onSent').length === 4, 'the send');
    const order = ['first', 'second', 'option', 'added'];
    expect(of('beforePublish')).toEqual(order);
    expect(of('afterPublish')).toEqual([...order].reverse());
    expect(of('onCommitted')).toEqual(order);
    expect(of('aroundSend:in')).toEqual(order);
    expect(of('aroundSend:out')).toEqual([...order].reverse());
    expect(of('onSent')).toEqual(order);
  });

  it('reports onCommitted after the commit only, never for a rolled-back publish', async () => {
    const publisher = app.get(EventPublisher);
    await expect(
      app.get(DataSource).transaction(async (manager) => {
        await publisher.publish(new Pinged(), { manager });
        expect(of('afterPublish')).toHaveLength(4);
        expect(of('onCommitted')).toEqual([]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(of('onCommitted')).toEqual([]);
  });

  it('reports only the events of committed savepoints at the outer commit', async () => {
    const committed: string[] = [];
    app.get(InterceptorChain).add({
      onCommitted: (events) => void committed.push(...events.map((e) => e.id)),
    });
    const publisher = app.get(EventPublisher);
    const kept: string[] = [];
    await app.get(DataSource).transaction(async (manager) => {
      kept.push(...(await publisher.publish(new Pinged(), { manager })).map((e) => e.id));
      await expect(
        manager.transaction(async (inner) => {
          await publisher.publish(new Pinged(), { manager: inner });
          throw new Error('roll back the savepoint');
        }),
      ).rejects.toThrow('roll back the savepoint');
      await manager.transaction(async (inner) => {
        kept.push(...(await publisher.publish(new Pinged(), { manager: inner })).map((e) => e.id));
      });
      expect(committed).toEqual([]);
    });
    expect(committed).toEqual(kept);
    expect(kept).toHaveLength(2);
  });

  it('sends the headers aroundSend sets, and they reach the handler', async () => {
    await app.get(EventPublisher).publish(new Pinged(), { newTransaction: true });
    const listener = app.get(PingListener);
    await waitUntil(() => listener.headers.length === 1, 'the handler');
    expect(listener.headers[0]).toMatchObject({
      'x-first': 'seen',
      'x-second': 'seen',
      'x-option': 'seen',
      'x-added': 'seen',
    });
  });

  it('does not take a send an interceptor skipped for a sent one', async () => {
    app.get(InterceptorChain).add({ aroundSend: async () => undefined });
    const [event] = await app.get(EventPublisher).publish(new Pinged(), { newTransaction: true });
    const rows = app.get(DataSource).getRepository(OutboxMessage);
    await waitUntil(
      async () => ((await rows.findOneByOrFail({ id: event.id })).lastError ?? '') !== '',
      'the failed attempt',
    );
    const row = await rows.findOneByOrFail({ id: event.id });
    expect(row.status).not.toBe('published');
    expect(row.lastError).toMatch(/without calling next\(\)/);
    expect(app.get(PingListener).headers).toEqual([]);
  });

  it('does not let an interceptor that swallows a handler error commit the event as handled', async () => {
    const statuses: string[] = [];
    const chain = app.get(InterceptorChain);
    chain.add({ aroundProcess: (_invocation, next) => next().catch(() => undefined) });
    chain.add({ onOutcome: (outcome) => void statuses.push(outcome.status) });
    app.get(PingListener).failing = true;
    await app.get(EventPublisher).publish(new Pinged(), { newTransaction: true });
    await waitUntil(() => statuses.includes('dead_lettered'), 'the dead letter');
    expect(statuses).not.toContain('success');
  });

  it('keeps going when an observer throws', async () => {
    const seen: OutgoingEvent[] = [];
    const chain = app.get(InterceptorChain);
    chain.add({
      onCommitted: () => {
        throw new Error('observer bug');
      },
    });
    chain.add({ onCommitted: (events) => void seen.push(...events) });
    await app.get(EventPublisher).publish(new Pinged(), { newTransaction: true });
    await waitUntil(() => seen.length === 1, 'the observer after the failing one');
  });
});
