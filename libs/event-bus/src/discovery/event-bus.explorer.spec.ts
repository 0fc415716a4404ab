import type { EventEnvelope } from '../envelope/event-envelope.interface';
import 'reflect-metadata';
import { Global, Inject, Injectable, Module, Scope } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { IsString } from 'class-validator';
import { DataSource } from 'typeorm';
import { compileTestApp, RecordingLogger } from '../__fixtures__/event-bus-test-app';
import { EventConsumer } from '../consumer/event-consumer';
import { IntegrationEvent } from '../decorators/integration-event.decorator';
import { EventInterceptor } from '../decorators/event-interceptor.decorator';
import { EventSubscribe } from '../decorators/event-subscribe.decorator';
import { Upcaster } from '../decorators/upcaster.decorator';
import type { EventUpcaster } from '../decorators/upcaster.decorator';
import { UpcastStep } from '../consumer/pipeline/upcast.step';
import { ValidateStep } from '../consumer/pipeline/validate.step';
import { EventTypeRegistry } from '../envelope/event-type.registry';
import { EventBusConfigurationError } from '../errors/event-bus-configuration.error';
import { entitiesNotRegistered, requestScopedHandler } from '../event-bus.messages';
import { EventBusModule } from '../event-bus.module';
import { EVENT_BUS_DEFAULTS } from '../options/event-bus-defaults';
import { EVENT_BUS_TESTING_DEFAULTS } from '../../testing/event-bus-testing.module';
import { InterceptorChain } from '../interceptors/interceptor-chain';
import type {
  EventBusInterceptor,
  OutgoingEvent,
} from '../interfaces/event-bus-interceptor.interface';
import type { EventContext } from '../interfaces/event-context.interface';
import { HandlerRegistry } from './handler.registry';

@IntegrationEvent({ type: 'user.registered', version: 2 })
class UserRegistered {
  @IsString()
  userId!: string;

  @IsString()
  locale!: string;
}

@IntegrationEvent({ type: 'user.deleted' })
class UserDeleted {
  userId!: string;
}

@IntegrationEvent({ type: 'feature.one' })
class FeatureOne {}

@IntegrationEvent({ type: 'feature.two' })
class FeatureTwo {}

@Injectable()
class ProfileProjector {
  readonly seen: object[] = [];

  @EventSubscribe(UserRegistered)
  async onRegistered(event: UserRegistered, context: EventContext): Promise<void> {
    this.seen.push({ event, context, self: this });
  }

  @EventSubscribe(UserDeleted, { id: 'profiles.deleted.v1' })
  async onDeleted(): Promise<void> {}

  /** Not a handler: must be left alone. */
  helper(): void {}
}

@Injectable()
class WelcomeMailer {
  @EventSubscribe(UserRegistered)
  async send(): Promise<void> {}
}

@Injectable()
class AuditTrail {
  @EventSubscribe(UserRegistered, { group: 'audit' })
  async record(): Promise<void> {}

  @EventSubscribe(UserDeleted, { group: 'audit', retry: { maxRetries: 9 } })
  async recordDeletion(): Promise<void> {}
}

@Injectable()
class FirstClaimant {
  @EventSubscribe(UserRegistered, { id: 'same.id' })
  async handle(): Promise<void> {}
}

@Injectable()
class SecondClaimant {
  @EventSubscribe(UserDeleted, { id: 'same.id' })
  async handle(): Promise<void> {}
}

@Injectable({ scope: Scope.REQUEST })
class RequestScopedProjector {
  @EventSubscribe(UserRegistered)
  async onRegistered(): Promise<void> {}
}

@Injectable()
class LocaleDefaults {
  readonly locale = 'en';
}

@Global()
@Module({ providers: [LocaleDefaults], exports: [LocaleDefaults] })
class LocaleModule {}

@Upcaster({ type: 'user.registered', fromVersion: 1 })
class UserRegisteredV1ToV2 implements EventUpcaster<
  { userId: string },
  { userId: string; locale: string }
> {
  upcast(v1: { userId: string }): { userId: string; locale: string } {
    return { ...v1, locale: 'en' };
  }
}

const calls: string[] = [];

function recorder(name: string): EventBusInterceptor {
  return {
    beforePublish: () => {
      calls.push(name);
    },
  };
}

@EventInterceptor({ order: 10 })
class LateInterceptor implements EventBusInterceptor {
  beforePublish(): void {
    calls.push('order 10');
  }
}

@EventInterceptor({ order: -5 })
class EarlyInterceptor implements EventBusInterceptor {
  beforePublish(): void {
    calls.push('order -5');
  }
}

@EventInterceptor()
class DefaultOrderInterceptor implements EventBusInterceptor {
  beforePublish(): void {
    calls.push('order 0');
  }
}

const outgoing: OutgoingEvent = {
  id: 'e-1',
  type: 'user.registered',
  version: 2,
  key: null,
  topic: 'user.registered',
  destination: null,
  payload: {},
  headers: {},
};

/** A version-1 `user.registered` envelope, as the codec hands it to upcasters. */
function userRegisteredV1(): EventEnvelope {
  return {
    id: 'e-1',
    type: 'user.registered',
    version: 1,
    source: 'other',
    time: new Date(),
    key: null,
    destination: undefined,
    correlationId: undefined,
    traceparent: undefined,
    tracestate: undefined,
    headers: {},
    data: { userId: 'u-1' },
  };
}

/** The event a handler of `target` gets: the app's upcast step, then its validate step. */
function materialize<T extends object>(
  module: TestingModule,
  envelope: EventEnvelope,
  target: new () => T,
): Promise<T> {
  const data = module.get(UpcastStep, { strict: false }).upcast(envelope, target);
  return module.get(ValidateStep, { strict: false }).validate(envelope.type, target, data);
}

describe('EventBusExplorer', () => {
  let app: TestingModule | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
    calls.length = 0;
  });

  async function boot(
    providers: Parameters<typeof compileTestApp>[0] = {},
  ): Promise<TestingModule> {
    app = await compileTestApp({
      ...providers,
      bus: { consumer: { enabled: false }, ...providers.bus },
    });
    await app.init();
    return app;
  }

  const handlers = (module: TestingModule): HandlerRegistry =>
    module.get(HandlerRegistry, { strict: false });
  /** `consumer.retry` of the app: the testing module's fast retries over the bus's defaults. */
  const consumerRetry = {
    ...EVENT_BUS_DEFAULTS.consumer.retry,
    ...EVENT_BUS_TESTING_DEFAULTS.consumer.retry,
  };

  it('registers every @EventSubscribe method with the id Class.method', async () => {
    const module = await boot({ providers: [ProfileProjector] });

    const registered = handlers(module).all();

    expect(registered.map((h) => h.id).sort()).toEqual([
      'ProfileProjector.onRegistered',
      'profiles.deleted.v1',
    ]);
    const onRegistered = registered.find((h) => h.id === 'ProfileProjector.onRegistered')!;
    expect(onRegistered.group).toBe('svc');
    expect(onRegistered.event.type).toBe('user.registered');
    expect(onRegistered.event.target).toBe(UserRegistered);
    expect(onRegistered.retry).toEqual(consumerRetry);
  });

  it('calls the handler method on the provider instance', async () => {
    const module = await boot({ providers: [ProfileProjector] });
    const projector = module.get(ProfileProjector);
    const handler = handlers(module)
      .all()
      .find((h) => h.id === 'ProfileProjector.onRegistered')!;
    const event = Object.assign(new UserRegistered(), { userId: 'u-1', locale: 'fr' });
    const context = { eventId: 'e-1' } as EventContext;

    await handler.invoke(event, context);

    expect(projector.seen).toEqual([{ event, context, self: projector }]);
  });

  it('uses the { id } given to @EventSubscribe', async () => {
    const module = await boot({ providers: [ProfileProjector] });

    expect(
      handlers(module)
        .forEvent('svc', 'user.deleted')
        .map((h) => h.id),
    ).toEqual(['profiles.deleted.v1']);
  });

  it('registers several handlers for one event', async () => {
    const module = await boot({ providers: [ProfileProjector, WelcomeMailer] });

    expect(
      handlers(module)
        .forEvent('svc', 'user.registered')
        .map((h) => h.id)
        .sort(),
    ).toEqual(['ProfileProjector.onRegistered', 'WelcomeMailer.send']);
  });

  it('registers the events of handlers with the type registry', async () => {
    const module = await boot({ providers: [ProfileProjector] });
    const types = module.get(EventTypeRegistry);

    expect(types.has('user.registered')).toBe(true);
    expect(types.has('user.deleted')).toBe(true);
  });

  it('fails startup when two handlers share an id', async () => {
    const failing = await compileTestApp({
      providers: [FirstClaimant, SecondClaimant],
      bus: { consumer: { enabled: false } },
    });

    const error = await failing.init().catch((e: unknown) => e);
    await failing.get(DataSource).destroy();

    expect(error).toBeInstanceOf(EventBusConfigurationError);
    expect((error as Error).message).toContain('Two event handlers share the id "same.id"');
  });

  it('puts a handler with { group } in that consumer group', async () => {
    const module = await boot({ providers: [ProfileProjector, AuditTrail] });

    const planned = module.get(EventConsumer).plannedGroups();

    expect(planned).toEqual(
      expect.arrayContaining([
        { groupId: 'svc', topics: ['user.deleted', 'user.registered'] },
        { groupId: 'audit', topics: ['user.deleted', 'user.registered'] },
      ]),
    );
    expect(planned).toHaveLength(2);
    expect(
      handlers(module)
        .forEvent('audit', 'user.registered')
        .map((h) => h.id),
    ).toEqual(['AuditTrail.record']);
    expect(
      handlers(module)
        .forEvent('svc', 'user.registered')
        .map((h) => h.id),
    ).toEqual(['ProfileProjector.onRegistered']);
  });

  it('merges a per-handler retry override with consumer.retry', async () => {
    const module = await boot({ providers: [AuditTrail] });

    const handler = handlers(module)
      .all()
      .find((h) => h.id === 'AuditTrail.recordDeletion')!;

    expect(handler.retry).toEqual({ ...consumerRetry, maxRetries: 9 });
  });

  it('fails startup naming the handler whose own retry option is bad', async () => {
    @Injectable()
    class Misconfigured {
      @EventSubscribe(UserDeleted, { retry: { maxRetrys: 2 } as never })
      onDeleted(): void {}
    }
    const failing = await compileTestApp({
      providers: [Misconfigured],
      bus: { consumer: { enabled: false } },
    });

    const error = await failing.init().catch((e: unknown) => e);
    await failing.get(DataSource).destroy();

    expect(error).toBeInstanceOf(EventBusConfigurationError);
    expect((error as Error).message).toContain(
      '@EventSubscribe() of Misconfigured.onDeleted has a bad "retry" option',
    );
    expect((error as Error).message).toContain('"consumer.retry.maxRetrys"');
  });

  it('warns about a request-scoped provider with handlers and does not register them', async () => {
    const logger = new RecordingLogger();
    app = await compileTestApp({
      providers: [RequestScopedProjector, WelcomeMailer],
      logger,
      bus: { consumer: { enabled: false } },
    });
    await app.init();

    expect(logger.messages('warn')).toContain(requestScopedHandler('RequestScopedProjector'));
    expect(
      handlers(app)
        .all()
        .map((h) => h.id),
    ).toEqual(['WelcomeMailer.send']);
  });

  it('registers @Upcaster providers given to forFeature, with dependencies from global modules', async () => {
    @Upcaster({ type: 'user.registered', fromVersion: 1 })
    class InjectingUpcaster implements EventUpcaster {
      constructor(@Inject(LocaleDefaults) private readonly defaults: LocaleDefaults) {}
      upcast(v1: unknown): unknown {
        return { ...(v1 as object), locale: this.defaults.locale };
      }
    }
    @Module({ imports: [EventBusModule.forFeature({ upcasters: [InjectingUpcaster] })] })
    class UsersModule {}

    const module = await boot({
      imports: [LocaleModule, UsersModule],
      providers: [ProfileProjector],
    });
    const event = await materialize(module, userRegisteredV1(), UserRegistered);

    expect(event).toEqual(Object.assign(new UserRegistered(), { userId: 'u-1', locale: 'en' }));
  });

  it('registers upcasters without dependencies given to forFeature', async () => {
    const module = await boot({
      imports: [EventBusModule.forFeature({ upcasters: [UserRegisteredV1ToV2] })],
      providers: [ProfileProjector],
    });
    const event = await materialize(module, userRegisteredV1(), UserRegistered);

    expect(event.locale).toBe('en');
  });

  it('registers the events of every forFeature call', async () => {
    @Module({ imports: [EventBusModule.forFeature({ events: [FeatureOne] })] })
    class FirstFeature {}
    @Module({ imports: [EventBusModule.forFeature({ events: [FeatureTwo] })] })
    class SecondFeature {}

    const module = await boot({ imports: [FirstFeature, SecondFeature] });
    const types = module.get(EventTypeRegistry);

    expect(types.has('feature.one')).toBe(true);
    expect(types.has('feature.two')).toBe(true);
  });

  it('orders @EventInterceptor providers by order, then the option interceptors', async () => {
    const module = await boot({
      providers: [LateInterceptor, DefaultOrderInterceptor, EarlyInterceptor],
      bus: { interceptors: [recorder('from options')] },
    });

    await module.get(InterceptorChain).beforePublish(outgoing);

    expect(calls).toEqual(['order -5', 'order 0', 'order 10', 'from options']);
  });

  it('fails startup naming the option when forRoot gets a bad option', async () => {
    const error = await compileTestApp({ bus: { outbox: { batchSize: 0 } } }).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(EventBusConfigurationError);
    expect((error as Error).message).toContain('"outbox.batchSize"');
  });

  it('fails startup naming the option when forRootAsync produces a bad option', async () => {
    const { Test } = await import('@nestjs/testing');
    const { TypeOrmModule } = await import('@nestjs/typeorm');
    const { EVENT_BUS_ENTITIES } = await import('../event-bus.entities');

    const error = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({
          type: 'better-sqlite3',
          database: ':memory:',
          entities: EVENT_BUS_ENTITIES,
        }),
        EventBusModule.forRootAsync({
          useFactory: () => ({ serviceId: 'svc', consumer: { retry: { maxRetries: -1 } } }),
        }),
      ],
    })
      .setLogger(new RecordingLogger())
      .compile()
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(EventBusConfigurationError);
    expect((error as Error).message).toContain('"consumer.retry.maxRetries"');
  });

  it('fails startup when the DataSource lacks EVENT_BUS_ENTITIES', async () => {
    const failing = await compileTestApp({ entities: [] });

    const error = await failing.init().catch((e: unknown) => e);
    await failing.get(DataSource).destroy();

    expect(error).toBeInstanceOf(EventBusConfigurationError);
    expect((error as Error).message).toBe(entitiesNotRegistered(['OutboxMessage', 'InboxRecord']));
  });
});
