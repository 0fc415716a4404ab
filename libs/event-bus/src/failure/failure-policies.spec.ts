import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { IsString } from 'class-validator';
import { EventBusTestHelper } from '../../testing';
import {
  EventBusConfigurationError,
  EventBusError,
  EventPublisher,
  EventSubscribe,
  FailurePolicies,
  InMemoryBroker,
  IntegrationEvent,
  type EventSubscribeOptions,
  type FailurePolicy,
  type HandlerFailure,
} from '../index';
import { ParkedDeadLetterStore } from '../operations';
import { bootTestApp, compileTestApp, RecordingLogger } from '../__fixtures__/event-bus-test-app';

const RETRY = { maxRetries: 3, initialMs: 100, maxMs: 1000, multiplier: 2, jitter: 0 };

function failure(overrides: Partial<HandlerFailure> = {}): HandlerFailure {
  return {
    handlerId: 'Cache.refresh',
    group: 'svc',
    eventId: 'e-1',
    type: 'price.changed',
    topic: 'price.changed',
    partition: 0,
    offset: '7',
    attempt: 1,
    waits: 0,
    error: new Error('boom'),
    transient: false,
    permanent: false,
    retry: RETRY,
    ...overrides,
  };
}

describe('FailurePolicies (the built-ins)', () => {
  it('pauseOnTransient waits for an unavailable dependency and has no opinion otherwise', () => {
    const policy = FailurePolicies.pauseOnTransient();

    expect(policy(failure({ transient: true }))).toEqual({ action: 'wait' });
    expect(policy(failure())).toBeUndefined();
  });

  it("retryInPlace backs off by the handler's retry while retries are left", () => {
    const policy = FailurePolicies.retryInPlace();

    expect(policy(failure({ attempt: 1 }))).toEqual({ action: 'retry', delayMs: 100 });
    expect(policy(failure({ attempt: 3 }))).toEqual({ action: 'retry', delayMs: 400 });
    expect(policy(failure({ attempt: 4 }))).toBeUndefined();
    expect(policy(failure({ permanent: true }))).toBeUndefined();
  });

  it('retryInPlace takes overrides of the retry options', () => {
    const policy = FailurePolicies.retryInPlace({ maxRetries: 1, initialMs: 5 });

    expect(policy(failure({ attempt: 1 }))).toEqual({ action: 'retry', delayMs: 5 });
    expect(policy(failure({ attempt: 2 }))).toBeUndefined();
  });

  it('deadLetter, park and discard always decide', () => {
    expect(FailurePolicies.deadLetter()(failure())).toEqual({ action: 'dead-letter' });
    expect(FailurePolicies.park()(failure({ permanent: true }))).toEqual({ action: 'park' });
    expect(FailurePolicies.discard('stale anyway')(failure())).toEqual({
      action: 'discard',
      reason: 'stale anyway',
    });
  });

  it('firstOf asks each policy in turn, async ones too, and the first decision wins', async () => {
    const asked: string[] = [];
    const noOpinion: FailurePolicy = async () => void asked.push('first');
    const policy = FailurePolicies.firstOf(
      noOpinion,
      FailurePolicies.retryInPlace({ maxRetries: 0 }),
      FailurePolicies.discard('last resort'),
      FailurePolicies.deadLetter(),
    );

    expect(await policy(failure())).toEqual({ action: 'discard', reason: 'last resort' });
    expect(asked).toEqual(['first']);
    expect(await FailurePolicies.firstOf()(failure())).toBeUndefined();
  });

  it('the default waits on an outage, retries in place, then dead-letters', () => {
    const policy = FailurePolicies.default();

    expect(policy(failure({ transient: true, attempt: 9 }))).toEqual({ action: 'wait' });
    expect(policy(failure({ attempt: 2 }))).toEqual({ action: 'retry', delayMs: 200 });
    expect(policy(failure({ attempt: 4 }))).toEqual({ action: 'dead-letter' });
    expect(policy(failure({ permanent: true }))).toEqual({ action: 'dead-letter' });
  });
});

@IntegrationEvent({ type: 'policy.priced', key: (e: Priced) => e.sku })
class Priced {
  @IsString()
  sku!: string;

  constructor(sku: string) {
    this.sku = sku;
  }
}

/** Fails every event whose sku starts with "bad"; counts the calls per sku. */
@Injectable()
class Handlers {
  static policy: FailurePolicy | undefined;
  static failWith: () => Error = () => new Error('cache backend refused');
  /** Attempts at "flaky" skus that meet a refused connection before the backend is back. */
  static refusals = 0;
  readonly calls = new Map<string, number>();
  readonly done: string[] = [];

  @EventSubscribe(Priced, {
    id: 'Cache.refresh',
    onFailure: (failure) => Handlers.policy!(failure),
  })
  refresh(event: Priced): void {
    this.calls.set(event.sku, (this.calls.get(event.sku) ?? 0) + 1);
    if (event.sku.startsWith('bad')) throw Handlers.failWith();
    if (event.sku.startsWith('flaky') && Handlers.refusals-- > 0)
      throw new Error('connection refused');
    this.done.push(event.sku);
  }
}

describe('failure policies of a handler', () => {
  let app: TestingModule;
  let broker: InMemoryBroker;
  let helper: EventBusTestHelper;
  let logger: RecordingLogger;

  const boot = async (policy: FailurePolicy, consumer: object = {}) => {
    Handlers.policy = policy;
    broker = new InMemoryBroker();
    logger = new RecordingLogger();
    app = await bootTestApp({ bus: { broker, consumer }, providers: [Handlers], logger });
    helper = app.get(EventBusTestHelper);
  };
  const publish = (...skus: string[]) =>
    app.get(EventPublisher).publish(
      skus.map((sku) => new Priced(sku)),
      { newTransaction: true },
    );
  const deadLetters = () =>
    broker.hasTopic('policy.priced.dlq')
      ? broker.partitions('policy.priced.dlq').flatMap((p) => p.read(0, 100))
      : [];
  const statuses = () => helper.history().map((o) => o.status);
  /** A record written outside the publisher's checks: a number where the class wants a string. */
  const appendUnvalidated = (id: string) =>
    broker.append([
      {
        topic: 'policy.priced',
        key: Buffer.from('k'),
        value: Buffer.from('{"sku":42}'),
        headers: {
          ce_specversion: '1.0',
          ce_id: id,
          ce_source: 'elsewhere',
          ce_type: 'policy.priced',
          ce_time: new Date().toISOString(),
          ce_dataversion: '1',
          'content-type': 'application/json',
        },
      },
    ]);

  afterEach(async () => {
    await app?.close();
    Handlers.failWith = () => new Error('cache backend refused');
    Handlers.refusals = 0;
  });

  it('discards after N attempts, logged as discarded, and the partition moves on', async () => {
    await boot(
      FailurePolicies.firstOf(
        FailurePolicies.retryInPlace({ maxRetries: 1, initialMs: 1, maxMs: 1 }),
        FailurePolicies.discard('the next price refreshes the cache'),
      ),
    );
    await publish('bad-1', 'ok-1');
    await helper.waitForHandled(Priced, { status: 'discarded' });
    await helper.waitForHandled(Priced, { where: (e) => e.sku === 'ok-1' });
    const handlers = app.get(Handlers);

    // Once in the batch path's transaction, which rolled back, then two attempts on its own.
    expect(handlers.calls.get('bad-1')).toBe(3);
    expect(helper.history().filter((o) => o.status === 'discarded')).toEqual([
      expect.objectContaining({ handlerId: 'Cache.refresh', attempt: 2 }),
    ]);
    // Another key: it does not wait for bad-1's retry.
    expect(statuses().sort()).toEqual(['discarded', 'retried', 'success']);
    expect(deadLetters()).toEqual([]);
    expect(logger.messages('warn')).toContainEqual(
      expect.stringMatching(
        /^Cache\.refresh discarded event \S+ after attempt 2 \(its failure policy: the next price refreshes the cache\): Error: cache backend refused$/,
      ),
    );
  });

  it('parks a failed record whole in event_dead_letter instead of the dead-letter topic', async () => {
    Handlers.failWith = () => new EventBusError('price out of range', { retriable: false });
    await boot(FailurePolicies.firstOf(FailurePolicies.retryInPlace(), FailurePolicies.park()));
    await publish('bad-2');
    await helper.waitForHandled(Priced, { status: 'dead_lettered' });
    const parked = await app.get(ParkedDeadLetterStore).list();

    expect(parked).toEqual([
      expect.objectContaining({
        topic: 'policy.priced',
        handler: 'Cache.refresh',
        errorMessage: 'price out of range',
        attempts: 1,
      }),
    ]);
    expect(JSON.parse(parked[0].value.toString())).toEqual({ sku: 'bad-2' });
    expect(statuses()).toEqual(['failed', 'dead_lettered']);
    expect(deadLetters()).toEqual([]);
  });

  it('sends an event that fails validation through the policy too', async () => {
    await boot(FailurePolicies.discard('we do not care about malformed prices'));
    await publish('ok-2');
    await appendUnvalidated('raw-1');
    await helper.waitForHandled(Priced, { status: 'discarded' });

    expect(helper.history().find((o) => o.status === 'discarded')).toMatchObject({
      eventId: 'raw-1',
      attempt: 1,
    });
    expect(app.get(Handlers).calls.has('42')).toBe(false);
    expect(deadLetters()).toEqual([]);
  });

  it('waits out an outage without spending a retry when the policy pauses on transient', async () => {
    Handlers.refusals = 2;
    const flaky: FailurePolicy = FailurePolicies.firstOf(
      FailurePolicies.pauseOnTransient(),
      FailurePolicies.deadLetter(),
    );
    await boot(flaky, {
      isTransient: (error: unknown) => error instanceof Error && error.message.includes('refused'),
      unavailableBackoff: { initialMs: 1, maxMs: 5, multiplier: 2, jitter: 0 },
    });
    // The backend refuses two attempts, then is back.
    await publish('flaky-1');
    await helper.waitForHandled(Priced);

    expect(statuses()).toEqual(['unavailable', 'unavailable', 'success']);
    expect(helper.history().at(-1)).toMatchObject({ attempt: 1 });
    expect(app.get(Handlers).calls.get('flaky-1')).toBe(3);
    expect(deadLetters()).toEqual([]);
  });

  it('dead-letters when a policy throws, answers nothing or asks for a bad delay', async () => {
    const answers: Array<() => unknown> = [
      () => {
        throw new Error('policy bug');
      },
      () => undefined,
      () => ({ action: 'retry', delayMs: -1 }),
    ];
    let next = 0;
    await boot(() => answers[next++]() as ReturnType<FailurePolicy>);
    await publish('bad-4', 'bad-5', 'bad-6');
    await helper.waitForCount(Priced, 3, { status: 'dead_lettered' });

    expect(deadLetters().map((r) => JSON.parse(r.value.toString()).sku)).toEqual([
      'bad-4',
      'bad-5',
      'bad-6',
    ]);
    expect(logger.messages('error')).toEqual([
      'The failure policy of Cache.refresh threw (Error: policy bug); dead-lettering the event instead',
      'The failure policy of Cache.refresh asked to retry after -1 ms (0 to 86400000 ms); dead-lettering the event instead',
    ]);
  });

  it('dead-letters, saying why, an unknown action, a retry past 24 hours and a discard without a reason', async () => {
    const answers: Array<() => unknown> = [
      () => ({ action: 'requeue' }),
      () => ({ action: 'retry', delayMs: 86_400_001 }),
      () => ({ action: 'discard' }),
    ];
    let next = 0;
    await boot(() => answers[next++]() as ReturnType<FailurePolicy>);
    await publish('bad-7', 'bad-8', 'bad-9');
    await helper.waitForCount(Priced, 3, { status: 'dead_lettered' });

    // Each sku is its own key, so the three run concurrently: the answers go in call order.
    const skus = deadLetters().map((r) => JSON.parse(r.value.toString()).sku as string);
    expect(skus.sort()).toEqual(['bad-7', 'bad-8', 'bad-9']);
    expect(statuses()).not.toContain('discarded');
    expect(logger.messages('error')).toEqual([
      'The failure policy of Cache.refresh answered something that is not a decision; dead-lettering the event instead',
      'The failure policy of Cache.refresh asked to retry after 86400001 ms (0 to 86400000 ms); dead-lettering the event instead',
      'The failure policy of Cache.refresh discarded without a reason; dead-lettering the event instead',
    ]);
  });

  it('dead-letters input that can never succeed when a policy would hold the partition for it', async () => {
    const answers: FailurePolicy[] = [
      () => ({ action: 'retry', delayMs: 1 }),
      () => ({ action: 'wait' }),
    ];
    let next = 0;
    await boot((failure) => answers[next++](failure));
    await appendUnvalidated('raw-2');
    await appendUnvalidated('raw-3');
    await helper.waitForCount(Priced, 2, { status: 'dead_lettered' });

    expect(deadLetters().map((r) => r.headers['ce_id'])).toEqual(['raw-2', 'raw-3']);
    expect(statuses()).toEqual(['failed', 'dead_lettered', 'failed', 'dead_lettered']);
    expect(logger.messages('error')).toEqual([
      'The failure policy of Cache.refresh asked to retry for input that can never succeed (it failed to upcast or validate, or the error is non-retriable); dead-lettering the event instead',
      'The failure policy of Cache.refresh asked to wait for input that can never succeed (it failed to upcast or validate, or the error is non-retriable); dead-lettering the event instead',
    ]);
  });

  it('fails startup naming the handler when onFailure is not a function', async () => {
    @Injectable()
    class Misconfigured {
      @EventSubscribe(Priced, {
        onFailure: 'dead-letter' as unknown as EventSubscribeOptions['onFailure'],
      })
      handle(): void {}
    }
    const module = await compileTestApp({ providers: [Misconfigured] });

    const error = await module.init().then(
      () => undefined,
      (thrown: unknown) => thrown,
    );

    expect(error).toBeInstanceOf(EventBusConfigurationError);
    expect((error as Error).message).toBe(
      '@EventSubscribe() of Misconfigured.handle has a bad "onFailure" option: expected a failure policy function (see FailurePolicies), got "dead-letter".',
    );
  });
});
