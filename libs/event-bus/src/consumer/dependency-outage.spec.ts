import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { IntegrationEvent } from '../decorators/integration-event.decorator';
import { EventSubscribe } from '../decorators/event-subscribe.decorator';
import { EventPublisher } from '../event-bus.publisher';
import type { EventContext } from '../interfaces/event-context.interface';
import type { ProcessOutcome } from '../interfaces/event-bus-interceptor.interface';
import { compileTestApp } from '../__fixtures__/event-bus-test-app';
import { EventBusTestHelper } from '../../testing';

@IntegrationEvent({ type: 'outage.item', key: (e: Item) => e.key })
class Item {
  constructor(
    readonly key: string,
    readonly n: number,
  ) {}
}

class PaymentsDown extends Error {}

const refused = (): Error =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

/** Fails each event's first `failures` calls with `error()`, then applies it. */
@Injectable()
class FlakyHandler {
  failures = 0;
  error: () => Error = refused;
  readonly calls = new Map<number, number>();
  /** Event id → item number, to read the helper's outcomes. */
  readonly numbers = new Map<string, number>();

  @EventSubscribe(Item, { retry: { maxRetries: 1, initialMs: 1, maxMs: 1 } })
  onItem(event: Item, ctx: EventContext): void {
    this.numbers.set(ctx.eventId, event.n);
    const calls = (this.calls.get(event.n) ?? 0) + 1;
    this.calls.set(event.n, calls);
    if (calls <= this.failures) throw this.error();
  }
}

/** Reads the outcomes the testing helper recorded. */
class Outcomes {
  constructor(private readonly helper: EventBusTestHelper) {}
  /** Item numbers in the order their handling committed. */
  committed(handler: FlakyHandler): number[] {
    return this.of('success').map((o) => handler.numbers.get(o.eventId!)!);
  }
  count(status: ProcessOutcome['status']): number {
    return this.of(status).length;
  }
  private of(status: ProcessOutcome['status']): ProcessOutcome[] {
    return this.helper.history().filter((o) => o.status === status);
  }
}

describe('consumer under a dependency outage', () => {
  let app: TestingModule;
  afterEach(() => app?.close());

  const boot = async (
    recordsPerTransaction: number,
    isTransient?: (e: unknown) => boolean | undefined,
  ) => {
    app = await compileTestApp({
      providers: [FlakyHandler],
      bus: {
        consumer: {
          recordsPerTransaction,
          unavailableBackoff: { initialMs: 1, maxMs: 5 },
          isTransient,
        },
      },
    });
    await app.init();
    const helper = app.get(EventBusTestHelper);
    return {
      helper,
      outcomes: new Outcomes(helper),
      handler: app.get(FlakyHandler),
      publisher: app.get(EventPublisher),
    };
  };

  describe.each([
    ['one record per transaction', 1],
    ['records batched per transaction', 100],
  ])('%s', (_label, recordsPerTransaction) => {
    it('waits out failures that mean the database is down, spending no retry, and dead-letters nothing', async () => {
      const { helper, outcomes, handler, publisher } = await boot(recordsPerTransaction);
      // Six failures are three times the retry budget (one retry = two attempts).
      handler.failures = 6;
      await publisher.publish([new Item('a', 1), new Item('a', 2), new Item('b', 3)], {
        newTransaction: true,
      });
      await helper.waitForCount(Item, 3);
      // Order per key holds through the outage.
      expect(outcomes.committed(handler).filter((n) => n !== 3)).toEqual([1, 2]);
      expect(outcomes.count('success')).toBe(3);
      expect(outcomes.count('dead_lettered')).toBe(0);
      expect(outcomes.count('failed')).toBe(0);
      expect(outcomes.count('retried')).toBe(0);
      expect(outcomes.count('unavailable')).toBeGreaterThanOrEqual(6);
    });

    it('still dead-letters a handler error once its retries are spent', async () => {
      const { helper, outcomes, handler, publisher } = await boot(recordsPerTransaction);
      handler.failures = 6;
      handler.error = () => new PaymentsDown('card declined');
      await publisher.publish(new Item('a', 1), { newTransaction: true });
      await helper.waitForHandled(Item, { status: 'dead_lettered' });
      // Two attempts on the per-record path; the batched path tries the chunk once before it.
      expect(handler.calls.get(1)).toBe(recordsPerTransaction === 1 ? 2 : 3);
      expect(outcomes.count('unavailable')).toBe(0);
    });
  });

  it('lets the application call its own errors transient', async () => {
    const { helper, outcomes, handler, publisher } = await boot(1, (error) =>
      error instanceof PaymentsDown ? true : undefined,
    );
    handler.failures = 4;
    handler.error = () => new PaymentsDown('payments service unavailable');
    await publisher.publish(new Item('a', 1), { newTransaction: true });
    await helper.waitForHandled(Item);
    expect(outcomes.count('dead_lettered')).toBe(0);
    expect(outcomes.count('unavailable')).toBe(4);
  });
});
