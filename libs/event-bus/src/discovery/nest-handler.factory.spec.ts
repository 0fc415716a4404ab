import {
  BadRequestException,
  type ArgumentsHost,
  type ArgumentMetadata,
  Catch,
  type ExceptionFilter,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  type PipeTransform,
  UseFilters,
  UseGuards,
  UseInterceptors,
  UsePipes,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { TestingModule } from '@nestjs/testing';
import { tap } from 'rxjs';
import { IntegrationEvent } from '../decorators/integration-event.decorator';
import { EventSubscribe } from '../decorators/event-subscribe.decorator';
import { EventPublisher } from '../event-bus.publisher';
import type { EventContext } from '../interfaces/event-context.interface';
import { HandlerRefusedError } from '../errors/handler-refused.error';
import { InvalidEventError } from '../errors/invalid-event.error';
import { compileTestApp } from '../__fixtures__/event-bus-test-app';
import { EventBusTestHelper } from '../../testing';
import { EVENT_BUS_CONTEXT_TYPE } from './nest-handler.factory';

@IntegrationEvent({ type: 'nest.order', key: (e: Order) => e.id })
class Order {
  constructor(
    readonly id: string,
    readonly amount: number,
  ) {}
}

/** What the enhancers saw, in order. */
@Injectable()
class Seen {
  readonly log: string[] = [];
  readonly contexts: Array<{ type: string; data: unknown; eventId: string | undefined }> = [];
}

/** Refuses orders of 0; remembers what the execution context answered. */
@Injectable()
class NonZeroGuard implements CanActivate {
  constructor(private readonly seen: Seen) {}
  canActivate(context: ExecutionContext): boolean {
    const rpc = context.switchToRpc();
    this.seen.contexts.push({
      type: context.getType(),
      data: rpc.getData(),
      eventId: rpc.getContext<EventContext>().eventId,
    });
    this.seen.log.push(`guard:${context.getClass().name}.${context.getHandler().name}`);
    return (rpc.getData<Order>().amount ?? 0) !== 0;
  }
}

/** A global guard that fails (its own dependency is down) for orders of -1. */
@Injectable()
class GlobalGuard implements CanActivate {
  constructor(private readonly seen: Seen) {}
  canActivate(context: ExecutionContext): boolean {
    this.seen.log.push('global-guard');
    if (context.switchToRpc().getData<Order>().amount === -1) throw new Error('guard store down');
    return true;
  }
}

@Injectable()
class Around implements NestInterceptor {
  constructor(private readonly seen: Seen) {}
  intercept(_context: ExecutionContext, next: CallHandler) {
    this.seen.log.push('before');
    return next.handle().pipe(tap(() => this.seen.log.push('after')));
  }
}

/** Doubles the amount; remembers the metatype Nest handed it. */
@Injectable()
class DoublePipe implements PipeTransform {
  constructor(private readonly seen: Seen) {}
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (!(value instanceof Order)) return value;
    if (value.amount > 1000) throw new BadRequestException('amount over the limit');
    this.seen.log.push(`pipe:${metadata.metatype?.name}`);
    return new Order(value.id, value.amount * 2);
  }
}

class OutOfStock extends Error {}
class Fraud extends Error {}

/** Handles OutOfStock (the order is parked elsewhere), rethrows Fraud as a plain error. */
@Catch(OutOfStock, Fraud)
class OrderFilter implements ExceptionFilter {
  static caught: Array<{ error: string; type: string; amount: number }> = [];
  catch(error: Error, host: ArgumentsHost): void {
    OrderFilter.caught.push({
      error: error.constructor.name,
      type: host.getType(),
      amount: host.switchToRpc().getData<Order>().amount,
    });
    if (error instanceof Fraud) throw new Error('flagged by the filter');
  }
}

@Injectable()
class OrderHandler {
  readonly amounts: number[] = [];
  constructor(private readonly seen: Seen) {}

  @EventSubscribe(Order, { retry: { maxRetries: 0 } })
  @UseGuards(NonZeroGuard)
  @UseInterceptors(Around)
  @UsePipes(DoublePipe)
  @UseFilters(OrderFilter)
  onOrder(order: Order, ctx: EventContext): void {
    this.seen.log.push(`handler:${ctx.attempt}`);
    // After the pipe: 100 and 200 come in as 50 and 100.
    if (order.amount === 100) throw new OutOfStock('none left');
    if (order.amount === 200) throw new Fraud('suspicious');
    if (order.amount === 300) throw new Error('no filter catches this');
    this.amounts.push(order.amount);
  }
}

@IntegrationEvent({ type: 'nest.refund' })
class Refund {
  constructor(readonly id: string) {}
}

/** Enhancers on the class apply to each of its handlers. */
@Injectable()
@UseInterceptors(Around)
class RefundHandler {
  constructor(private readonly seen: Seen) {}

  @EventSubscribe(Refund)
  onRefund(): void {
    this.seen.log.push('refund');
  }
}

describe('handlers in Nest’s execution context', () => {
  let app: TestingModule;
  let seen: Seen;
  let helper: EventBusTestHelper;
  let publish: (order: Order) => Promise<unknown>;

  beforeEach(async () => {
    OrderFilter.caught = [];
    app = await compileTestApp({
      providers: [
        Seen,
        NonZeroGuard,
        Around,
        DoublePipe,
        OrderHandler,
        { provide: APP_GUARD, useClass: GlobalGuard },
      ],
    });
    await app.init();
    seen = app.get(Seen);
    helper = app.get(EventBusTestHelper);
    const publisher = app.get(EventPublisher);
    publish = (order) => publisher.publish(order, { newTransaction: true });
  });
  afterEach(() => app.close());

  it('runs global and method guards, then interceptors around the pipes and the handler', async () => {
    await publish(new Order('o-1', 21));
    await helper.waitForHandled(Order);

    expect(app.get(OrderHandler).amounts).toEqual([42]);
    expect(seen.log).toEqual([
      'global-guard',
      'guard:OrderHandler.onOrder',
      'before',
      'pipe:Order',
      'handler:1',
      'after',
    ]);
  });

  it("answers getType() 'event-bus', and switchToRpc() gives the event and its context", async () => {
    const [published] = (await publish(new Order('o-2', 5))) as Array<{ id: string }>;
    await helper.waitForHandled(Order);

    expect(seen.contexts).toEqual([
      { type: EVENT_BUS_CONTEXT_TYPE, data: expect.any(Order), eventId: published.id },
    ]);
    expect(seen.contexts[0].data).toMatchObject({ id: 'o-2', amount: 5 });
  });

  it('records a guard’s refusal as discarded, never calls the handler, and goes on', async () => {
    await publish(new Order('o-3', 0));
    await publish(new Order('o-4', 1));
    await helper.waitForHandled(Order, { status: 'discarded' });
    await helper.waitForHandled(Order);

    const refused = helper.history().filter((o) => o.status === 'discarded');
    expect(refused).toHaveLength(1);
    expect(refused[0].error).toBeInstanceOf(HandlerRefusedError);
    expect(app.get(OrderHandler).amounts).toEqual([2]);
    expect(seen.log.filter((line) => line.startsWith('handler'))).toEqual(['handler:1']);
  });

  it('treats a guard that throws as a failed attempt: the failure policy dead-letters it', async () => {
    await publish(new Order('o-5', -1));
    await helper.waitForHandled(Order, { status: 'failed' });

    expect(app.get(OrderHandler).amounts).toEqual([]);
    expect(helper.history().map((o) => o.status)).toEqual(['failed']);
  });

  it('dead-letters an event a pipe refuses as invalid input, never calling the handler', async () => {
    await publish(new Order('o-9', 5000));
    await helper.waitForHandled(Order, { status: 'failed' });

    const [failed] = helper.history().filter((o) => o.status === 'failed');
    expect(failed.error).toBeInstanceOf(InvalidEventError);
    expect((failed.error as InvalidEventError).reason).toBe('validation_failed');
    expect(seen.log.filter((line) => line.startsWith('handler'))).toEqual([]);
  });

  it('lets a filter that returns handle the error: the attempt succeeds, nothing is retried', async () => {
    await publish(new Order('o-6', 50));
    await helper.waitForHandled(Order);

    // Filters see the arguments as they came, before the pipes (as in Nest).
    expect(OrderFilter.caught).toEqual([
      { error: 'OutOfStock', type: EVENT_BUS_CONTEXT_TYPE, amount: 50 },
    ]);
    expect(helper.history().map((o) => o.status)).toEqual(['success']);
  });

  it('hands what a filter throws, and an error no filter catches, to the failure policy', async () => {
    await publish(new Order('o-7', 100));
    await publish(new Order('o-8', 150));
    await helper.waitForCount(Order, 2, { status: 'failed' });

    // The batch path's attempt and the per-record one each meet the filter, as the handler.
    expect(new Set(OrderFilter.caught.map((c) => c.error))).toEqual(new Set(['Fraud']));
    const failed = helper.history().filter((o) => o.status === 'failed');
    expect(failed.map((o) => (o.error as Error).message).sort()).toEqual([
      'flagged by the filter',
      'no filter catches this',
    ]);
  });
});

describe('enhancers declared on a class only', () => {
  it('apply to each of its handlers, with no global or method enhancer around', async () => {
    const app = await compileTestApp({ providers: [Seen, Around, RefundHandler] });
    await app.init();
    try {
      await app.get(EventPublisher).publish(new Refund('r-1'), { newTransaction: true });
      await app.get(EventBusTestHelper).waitForHandled(Refund);

      expect(app.get(Seen).log).toEqual(['before', 'refund', 'after']);
    } finally {
      await app.close();
    }
  });
});

@IntegrationEvent({ type: 'nest.sync' })
class Sync {
  constructor(readonly id: string) {}
}

/** A catch-all filter, as HTTP apps write them: it would swallow anything it is handed. */
@Catch()
class CatchAll implements ExceptionFilter {
  static caught = 0;
  catch(): void {
    CatchAll.caught++;
  }
}

@Injectable()
@UseFilters(CatchAll)
class SyncHandler {
  calls = 0;

  @EventSubscribe(Sync)
  onSync(): void {
    this.calls++;
    if (this.calls === 1) {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
        code: 'ECONNREFUSED',
      });
    }
  }
}

describe('an outage under a catch-all exception filter', () => {
  it('is waited out by the bus, never handed to the filter', async () => {
    CatchAll.caught = 0;
    const app = await compileTestApp({
      providers: [SyncHandler],
      bus: { consumer: { unavailableBackoff: { initialMs: 1, maxMs: 5 } } },
    });
    await app.init();
    try {
      await app.get(EventPublisher).publish(new Sync('s-1'), { newTransaction: true });
      const helper = app.get(EventBusTestHelper);
      await helper.waitForHandled(Sync);

      expect(helper.history().map((o) => o.status)).toEqual(['unavailable', 'success']);
      expect(app.get(SyncHandler).calls).toBe(2);
      expect(CatchAll.caught).toBe(0);
    } finally {
      await app.close();
    }
  });
});
