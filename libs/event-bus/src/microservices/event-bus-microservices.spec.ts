import { Controller, Injectable, Module, type INestApplication, type Type } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { IsInt, Min } from 'class-validator';
import { lastValueFrom } from 'rxjs';
import { Column, DataSource, Entity, PrimaryColumn } from 'typeorm';
import { EventBusTestHelper } from '../../testing';
import { compileTestApp } from '../__fixtures__/event-bus-test-app';
import { IntegrationEvent } from '../decorators/integration-event.decorator';
import { EVENT_BUS_ENTITIES } from '../event-bus.entities';
import { EventBusModule } from '../event-bus.module';
import { EventBusConfigurationError } from '../errors/event-bus-configuration.error';
import { PublishError } from '../errors/publish.error';
import {
  eventPatternIdsNeeded,
  handlerAfterStart,
  invalidFailurePolicy,
  messagePatternRefused,
  noTransaction,
  unknownEmitPattern,
} from '../event-bus.messages';
import { HandlerRegistry } from '../discovery/handler.registry';
import { FailurePolicies } from '../failure/failure-policies';
import { EventBusClient } from './event-bus.client';
import { EventBusContext } from './event-bus.context';
import { EventBusMicroservicesModule } from './event-bus-microservices.module';
import { EventBusServer } from './event-bus.server';

@IntegrationEvent({ type: 'ms.user-registered', key: (e: UserRegistered) => e.userId })
class UserRegistered {
  userId!: string;

  @IsInt()
  @Min(0)
  age!: number;
}

@Entity({ name: 'ms_profile' })
class Profile {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  userId!: string;

  @Column({ type: 'integer' })
  age!: number;
}

/** The projector as a team on @nestjs/microservices writes it. */
@Controller()
class ProfileProjector {
  readonly contexts: Array<{ eventId: string; attempt: number; partition: number }> = [];
  failNext = 0;

  @EventPattern('ms.user-registered')
  async onRegistered(@Payload() event: UserRegistered, @Ctx() ctx: EventBusContext) {
    this.contexts.push({ eventId: ctx.eventId, attempt: ctx.attempt, partition: ctx.partition });
    await ctx.manager.insert(Profile, { userId: event.userId, age: event.age });
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('profile store hiccup');
    }
  }
}

@Module({
  imports: [EventBusModule.forFeature({ events: [UserRegistered] })],
  controllers: [ProfileProjector],
})
class ProfileModule {}

@Injectable()
class Registrations {
  constructor(
    private readonly client: EventBusClient,
    private readonly dataSource: DataSource,
  ) {}

  register(userId: string, age: number) {
    return this.dataSource.transaction((manager) =>
      lastValueFrom(this.client.in(manager).emit('ms.user-registered', { userId, age })),
    );
  }
}

async function boot(
  controllers: Array<Type<unknown>> = [],
  order: 'connect-first' | 'init-first' = 'connect-first',
): Promise<INestApplication> {
  const moduleRef = await compileTestApp({
    entities: [...EVENT_BUS_ENTITIES, Profile],
    bus: { consumer: { retry: { maxRetries: 2, initialMs: 1, maxMs: 1 } } },
    imports: [EventBusMicroservicesModule, ProfileModule],
    controllers,
    providers: [Registrations],
  });
  const app = moduleRef.createNestApplication({ logger: false });
  if (order === 'init-first') await app.init();
  try {
    app.connectMicroservice({ strategy: app.get(EventBusServer) });
  } catch (error) {
    await app.close();
    throw error;
  }
  await app.startAllMicroservices();
  await app.init();
  return app;
}

describe('EventBusServer and EventBusClient', () => {
  let app: INestApplication | undefined;
  afterEach(() => app?.close());

  it('serves @EventPattern handlers from the bus: payload, context and the inbox transaction', async () => {
    app = await boot();
    const published = (await app.get(Registrations).register('u-1', 30)) as { id: string };
    await app.get(EventBusTestHelper).waitForHandled(UserRegistered);

    const profiles = await app.get(DataSource).getRepository(Profile).find();
    expect(profiles).toEqual([{ userId: 'u-1', age: 30 }]);
    expect(app.get(ProfileProjector).contexts).toEqual([
      { eventId: published.id, attempt: 1, partition: expect.any(Number) },
    ]);
  });

  it('retries a failed attempt with its writes rolled back, so the profile lands once', async () => {
    app = await boot();
    app.get(ProfileProjector).failNext = 1;
    await app.get(Registrations).register('u-2', 40);
    await app.get(EventBusTestHelper).waitForHandled(UserRegistered);

    expect(await app.get(DataSource).getRepository(Profile).count()).toBe(1);
    // Two calls (the batch path's, then the per-record path's): the first one's insert rolled back.
    expect(app.get(ProfileProjector).contexts).toHaveLength(2);
  });

  it('dead-letters an event that fails validation, never calling the handler', async () => {
    app = await boot();
    await app.get(Registrations).register('u-3', -5);
    await app.get(EventBusTestHelper).waitForHandled(UserRegistered, { status: 'failed' });

    expect(app.get(ProfileProjector).contexts).toEqual([]);
  });

  it('refuses an emit outside a transaction, an unknown pattern and send()', async () => {
    app = await boot();
    const client = app.get(EventBusClient);

    await expect(
      lastValueFrom(client.emit('ms.user-registered', { userId: 'x', age: 1 })),
    ).rejects.toThrow(noTransaction());
    await expect(
      app
        .get(DataSource)
        .transaction((manager) =>
          lastValueFrom(client.in(manager).emit('ms.user-registred', { userId: 'x', age: 1 })),
        ),
    ).rejects.toThrow(new PublishError(unknownEmitPattern('"ms.user-registred"')).message);
    await expect(lastValueFrom(client.send('ms.user-registered', {}))).rejects.toThrow(
      'EventBusClient refuses send()',
    );
  });

  it('refuses @MessagePattern at startup: the bus carries events, not requests', async () => {
    @Controller()
    class Lookup {
      @MessagePattern('ms.user-registered')
      find(): string {
        return 'u-1';
      }
    }

    const failure = boot([Lookup]);

    await expect(failure).rejects.toThrow(EventBusConfigurationError);
    await expect(boot([Lookup])).rejects.toThrow(messagePatternRefused('ms.user-registered'));
  });

  it('asks for ids when several handlers share a pattern, and runs each under its own', async () => {
    @Controller()
    class Mailer {
      readonly sent: string[] = [];
      @EventPattern('ms.user-registered')
      onRegistered(@Payload('userId') userId: string) {
        this.sent.push(userId);
      }
    }
    await expect(boot([Mailer])).rejects.toThrow(
      eventPatternIdsNeeded('ms.user-registered', [
        'Mailer.onRegistered',
        'ProfileProjector.onRegistered',
      ]),
    );

    @Controller()
    class NamedMailer {
      readonly sent: string[] = [];
      @EventPattern('ms.user-registered', { id: 'Mailer.welcome', group: 'mailer' })
      onRegistered(@Payload('userId') userId: string) {
        this.sent.push(userId);
      }
    }
    // The projector keeps the default id: give it one too, as the message asks.
    Reflect.defineMetadata(
      'microservices:pattern_extras',
      { id: 'Profiles.onRegistered' },
      ProfileProjector.prototype.onRegistered,
    );
    try {
      app = await boot([NamedMailer]);
      await app.get(Registrations).register('u-9', 9);
      await app
        .get(EventBusTestHelper)
        .waitForHandled(UserRegistered, { handlerId: 'Mailer.welcome' });
      await app
        .get(EventBusTestHelper)
        .waitForHandled(UserRegistered, { handlerId: 'Profiles.onRegistered' });

      expect(app.get(NamedMailer).sent).toEqual(['u-9']);
      const groups = app
        .get(HandlerRegistry)
        .all()
        .map((h) => [h.id, h.group]);
      expect(groups).toEqual(
        expect.arrayContaining([
          ['Mailer.welcome', 'mailer'],
          ['Profiles.onRegistered', 'svc'],
        ]),
      );
    } finally {
      Reflect.deleteMetadata(
        'microservices:pattern_extras',
        ProfileProjector.prototype.onRegistered,
      );
    }
  });

  it('takes retry and onFailure from the extras, as @EventSubscribe takes them from its options', async () => {
    @Controller()
    class CacheRefresher {
      static calls = 0;
      @EventPattern('ms.user-registered', {
        id: 'Cache.refresh',
        group: 'cache',
        retry: { maxRetries: 1 },
        onFailure: FailurePolicies.firstOf(
          FailurePolicies.retryInPlace(),
          FailurePolicies.discard('the next registration refreshes the cache'),
        ),
      })
      onRegistered() {
        CacheRefresher.calls++;
        throw new Error('cache backend refused');
      }
    }
    Reflect.defineMetadata(
      'microservices:pattern_extras',
      { id: 'Profiles.onRegistered' },
      ProfileProjector.prototype.onRegistered,
    );
    try {
      app = await boot([CacheRefresher]);
      await app.get(Registrations).register('u-3', 3);
      const helper = app.get(EventBusTestHelper);
      await helper.waitForHandled(UserRegistered, {
        handlerId: 'Cache.refresh',
        status: 'discarded',
      });

      // Once in the batch path's transaction, which rolled back, then two attempts on its own:
      // one retry (its own maxRetries 1, not the module's 2), then the discard it chose.
      expect(CacheRefresher.calls).toBe(3);
      expect(helper.history()).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ handlerId: 'Cache.refresh', status: 'discarded', attempt: 2 }),
        ]),
      );
      const handler = app
        .get(HandlerRegistry)
        .all()
        .find((h) => h.id === 'Cache.refresh');
      expect(handler?.retry.maxRetries).toBe(1);
      expect(helper.history()).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ handlerId: 'Profiles.onRegistered', status: 'success' }),
        ]),
      );
    } finally {
      Reflect.deleteMetadata(
        'microservices:pattern_extras',
        ProfileProjector.prototype.onRegistered,
      );
    }
  });

  it('fails startup on a bad onFailure in the extras, naming @EventPattern() and the handler', async () => {
    @Controller()
    class Misconfigured {
      @EventPattern('ms.user-registered', { id: 'Misconfigured.on', onFailure: 'dead-letter' })
      on() {}
    }
    Reflect.defineMetadata(
      'microservices:pattern_extras',
      { id: 'Profiles.onRegistered' },
      ProfileProjector.prototype.onRegistered,
    );
    try {
      await expect(boot([Misconfigured])).rejects.toThrow(
        invalidFailurePolicy('@EventPattern()', 'Misconfigured.on', 'dead-letter'),
      );
    } finally {
      Reflect.deleteMetadata(
        'microservices:pattern_extras',
        ProfileProjector.prototype.onRegistered,
      );
    }
  });

  it('refuses a server connected after the consumer started, rather than never serving it', async () => {
    await expect(boot([], 'init-first')).rejects.toThrow(
      handlerAfterStart(`event-pattern:ms.user-registered`),
    );
  });
});
