import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { IntegrationEvent } from '../decorators/integration-event.decorator';
import { EventSubscribe } from '../decorators/event-subscribe.decorator';
import type { EventContext } from '../interfaces/event-context.interface';
import { compileTestApp } from '../__fixtures__/event-bus-test-app';
import { LocalEventDispatcher } from './local-event.dispatcher';

@IntegrationEvent<CacheInvalidated>({ type: 'local.cache-invalidated', key: (e) => e.entry })
class CacheInvalidated {
  constructor(readonly entry: string) {}
}

@IntegrationEvent({ type: 'local.unheard' })
class Unheard {}

const calls: Array<{ handler: string; entry: string; eventId: string; key: string | null }> = [];

@Injectable()
class FirstListener {
  @EventSubscribe(CacheInvalidated)
  async onInvalidated(event: CacheInvalidated, ctx: EventContext): Promise<void> {
    await new Promise((r) => setTimeout(r, 5));
    calls.push({ handler: ctx.handlerId, entry: event.entry, eventId: ctx.eventId, key: ctx.key });
    if (event.entry === 'boom') throw new Error('listener failed');
  }
}

@Injectable()
class SecondListener {
  @EventSubscribe(CacheInvalidated)
  onInvalidated(event: CacheInvalidated, ctx: EventContext): void {
    calls.push({ handler: ctx.handlerId, entry: event.entry, eventId: ctx.eventId, key: ctx.key });
  }
}

describe('LocalEventDispatcher', () => {
  let app: TestingModule;
  let dispatcher: LocalEventDispatcher;

  beforeEach(async () => {
    calls.length = 0;
    app = await compileTestApp({ providers: [FirstListener, SecondListener] });
    await app.init();
    dispatcher = app.get(LocalEventDispatcher);
  });

  afterEach(() => app.close());

  it('awaits each handler in turn and gives them one event id', async () => {
    await dispatcher.dispatch(new CacheInvalidated('users:1'));
    expect(calls.map((c) => c.handler)).toEqual([
      'FirstListener.onInvalidated',
      'SecondListener.onInvalidated',
    ]);
    expect(calls[0].eventId).toBe(calls[1].eventId);
    expect(calls[0].eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(calls[0].key).toBe('users:1');
  });

  it('gives each dispatch its own event id', async () => {
    await dispatcher.dispatch(new CacheInvalidated('a'));
    await dispatcher.dispatch(new CacheInvalidated('b'));
    expect(calls[0].eventId).not.toBe(calls[2].eventId);
  });

  it('rejects with the handler error and does not run the handlers after it', async () => {
    await expect(dispatcher.dispatch(new CacheInvalidated('boom'))).rejects.toThrow(
      'listener failed',
    );
    expect(calls.map((c) => c.handler)).toEqual(['FirstListener.onInvalidated']);
  });

  it('resolves when no handler listens', async () => {
    await expect(dispatcher.dispatch(new Unheard())).resolves.toBeUndefined();
    expect(calls).toEqual([]);
  });
});
