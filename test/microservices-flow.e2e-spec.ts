/*
 * The registration flow as a team on @nestjs/microservices writes it, on PostgreSQL and Kafka:
 * the projector is an @EventPattern handler served by EventBusServer, registrations publish with
 * EventBusClient.emit, and an @EventSubscribe handler carries a guard, an interceptor, a pipe and
 * a filter.
 */
import {
  type CallHandler,
  type CanActivate,
  Catch,
  Controller,
  type ExceptionFilter,
  type ExecutionContext,
  Injectable,
  type INestApplication,
  Module,
  type NestInterceptor,
  type PipeTransform,
  UseFilters,
  UseGuards,
  UseInterceptors,
  UsePipes,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IsInt, IsString, Length } from 'class-validator';
import { lastValueFrom, tap } from 'rxjs';
import {
  Column,
  DataSource,
  Entity,
  type MigrationInterface,
  PrimaryColumn,
  type QueryRunner,
} from 'typeorm';
import {
  EVENT_BUS_CONTEXT_TYPE,
  EVENT_BUS_ENTITIES,
  EVENT_BUS_MIGRATIONS,
  EventBusModule,
  type EventContext,
  EventSubscribe,
  IntegrationEvent,
} from '@nestbus/event-bus';
import {
  EventBusClient,
  EventBusContext,
  EventBusMicroservicesModule,
  EventBusServer,
} from '@nestbus/event-bus/microservices';
import { OutboxStore } from '@nestbus/event-bus/operations';
import { EventBusTestHelper } from '@nestbus/event-bus/testing';
import { createTestDatabase, eventually, type TestDatabase } from './support/databases';
import { KAFKA_BROKERS, produceRaw, readTopic, requireKafka, uniqueName } from './support/kafka';

const TYPE = 'ms.user-registered';
const WAIT = { timeoutMs: 30000 };

@IntegrationEvent({ type: TYPE, key: (e: Registered) => e.userId })
class Registered {
  @IsString()
  @Length(1, 64)
  userId!: string;

  @IsInt()
  seq!: number;
}

@Entity({ name: 'ms_flow_profile' })
class Profile {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  userId!: string;

  @Column({ type: 'integer' })
  seq!: number;
}

@Entity({ name: 'ms_flow_user' })
class User {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;
}

/** This test's own tables, beside the bus's migrations. */
class CreateFlowTables1900000000000 implements MigrationInterface {
  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      'CREATE TABLE ms_flow_profile ("userId" varchar(64) PRIMARY KEY, seq integer NOT NULL)',
    );
    await runner.query('CREATE TABLE ms_flow_user (id varchar(64) PRIMARY KEY)');
  }
  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE ms_flow_profile');
    await runner.query('DROP TABLE ms_flow_user');
  }
}

/** What the projector and the enhancers saw, shared by the test. */
@Injectable()
class Observed {
  readonly projected: Array<{ userId: string; seq: number; attempt: number }> = [];
  /** Remaining failures per user id. */
  readonly failures = new Map<string, number>();
  readonly enhancers: string[] = [];
}

@Controller()
class ProfileProjector {
  constructor(private readonly observed: Observed) {}

  @EventPattern(TYPE)
  async onRegistered(@Payload() event: Registered, @Ctx() ctx: EventBusContext): Promise<void> {
    this.observed.projected.push({ userId: event.userId, seq: event.seq, attempt: ctx.attempt });
    await ctx.manager.upsert(Profile, { userId: event.userId, seq: event.seq }, ['userId']);
    const left = this.observed.failures.get(event.userId) ?? 0;
    if (left > 0) {
      this.observed.failures.set(event.userId, left - 1);
      throw new Error(`profile store hiccup for ${event.userId}`);
    }
  }
}

@Injectable()
class AuditGuard implements CanActivate {
  constructor(private readonly observed: Observed) {}
  canActivate(context: ExecutionContext): boolean {
    this.observed.enhancers.push(`guard:${context.getType()}`);
    return context.switchToRpc().getData<Registered>().userId !== 'blocked';
  }
}

@Injectable()
class AuditInterceptor implements NestInterceptor {
  constructor(private readonly observed: Observed) {}
  intercept(_context: ExecutionContext, next: CallHandler) {
    this.observed.enhancers.push('interceptor:before');
    return next.handle().pipe(tap(() => this.observed.enhancers.push('interceptor:after')));
  }
}

@Injectable()
class AuditPipe implements PipeTransform {
  constructor(private readonly observed: Observed) {}
  transform(value: unknown): unknown {
    if (value instanceof Registered) this.observed.enhancers.push('pipe');
    return value;
  }
}

class AuditFailure extends Error {}

@Catch(AuditFailure)
class AuditFilter implements ExceptionFilter {
  static caught = 0;
  catch(): void {
    AuditFilter.caught++;
  }
}

@Injectable()
class Auditor {
  constructor(private readonly observed: Observed) {}

  @EventSubscribe(Registered, { group: 'auditor' })
  @UseGuards(AuditGuard)
  @UseInterceptors(AuditInterceptor)
  @UsePipes(AuditPipe)
  @UseFilters(AuditFilter)
  onRegistered(event: Registered, _ctx: EventContext): void {
    this.observed.enhancers.push(`handler:${event.userId}`);
    if (event.userId === 'audit-fails') throw new AuditFailure('audit store refused');
  }
}

/** Registers a user and emits the event in one transaction; `fail` rolls it back after the emit. */
@Injectable()
class Registrations {
  constructor(
    private readonly dataSource: DataSource,
    private readonly client: EventBusClient,
  ) {}

  register(userId: string, seq: number, fail = false): Promise<void> {
    return this.dataSource.transaction(async (manager) => {
      await manager.upsert(User, { id: userId }, ['id']);
      await lastValueFrom(this.client.in(manager).emit(TYPE, { userId, seq }));
      if (fail) throw new Error('business rule failed after the emit');
    });
  }
}

describe('the registration flow on @nestjs/microservices, over PostgreSQL and Kafka', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let observed: Observed;
  let helper: EventBusTestHelper;
  let registrations: Registrations;
  let topic: string;

  beforeAll(async () => {
    await requireKafka();
    db = await createTestDatabase('postgres');
    const prefix = uniqueName('ms');
    topic = `${prefix}.${TYPE}`;

    @Module({
      imports: [
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: db.url,
          entities: [...EVENT_BUS_ENTITIES, Profile, User],
          migrations: [...EVENT_BUS_MIGRATIONS, CreateFlowTables1900000000000],
          migrationsRun: true,
          synchronize: false,
        }),
        TypeOrmModule.forFeature([Profile, User]),
        EventBusModule.forRoot({
          serviceId: prefix,
          transport: { type: 'kafka', brokers: KAFKA_BROKERS },
          topics: { naming: (type: string) => `${prefix}.${type}` },
          consumer: { retry: { maxRetries: 3, initialMs: 10, maxMs: 50 } },
          outbox: { pollIntervalMs: 100 },
        }),
        EventBusModule.forFeature({ events: [Registered] }),
        EventBusMicroservicesModule,
      ],
      controllers: [ProfileProjector],
      providers: [
        Observed,
        Auditor,
        AuditGuard,
        AuditInterceptor,
        AuditPipe,
        Registrations,
        EventBusTestHelper,
      ],
    })
    class FlowModule {}

    app = await NestFactory.create(FlowModule, { logger: ['error'] });
    app.connectMicroservice({ strategy: app.get(EventBusServer) });
    await app.startAllMicroservices();
    await app.init();
    observed = app.get(Observed);
    helper = app.get(EventBusTestHelper);
    registrations = app.get(Registrations);
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  const profiles = () =>
    app
      .get(DataSource)
      .getRepository(Profile)
      .find({ order: { userId: 'ASC' } });
  const projected = (userId: string) => observed.projected.filter((p) => p.userId === userId);

  it('projects an emitted registration once, and a rolled-back one never', async () => {
    await expect(registrations.register('rolled-back', 1, true)).rejects.toThrow(
      'business rule failed after the emit',
    );
    await registrations.register('alice', 1);
    await helper.waitForHandled(Registered, {
      ...WAIT,
      handlerId: `event-pattern:${TYPE}`,
      where: (e) => e.userId === 'alice',
    });

    expect(await profiles()).toEqual([{ userId: 'alice', seq: 1 }]);
    const outbox = await app.get(OutboxStore).statusReport();
    expect(outbox.pending + outbox.published + outbox.failed).toBe(1);
  });

  it('applies a redelivered event once: the inbox answers duplicate', async () => {
    await registrations.register('bob', 1);
    await helper.waitForHandled(Registered, {
      ...WAIT,
      handlerId: `event-pattern:${TYPE}`,
      where: (e) => e.userId === 'bob',
    });
    // Send every published row again, as a relay restart after a lost acknowledgement would.
    await app.get(OutboxStore).requeuePublishedSince(new Date(Date.now() - 60_000));
    await helper.waitForHandled(Registered, {
      ...WAIT,
      status: 'duplicate',
      handlerId: `event-pattern:${TYPE}`,
      where: (e) => e.userId === 'bob',
    });

    expect(projected('bob')).toHaveLength(1);
  });

  it('retries a handler that fails twice, then applies it', async () => {
    observed.failures.set('carol', 2);
    await registrations.register('carol', 1);
    await helper.waitForHandled(Registered, {
      ...WAIT,
      handlerId: `event-pattern:${TYPE}`,
      where: (e) => e.userId === 'carol',
    });

    expect(projected('carol').length).toBeGreaterThanOrEqual(3);
    expect((await profiles()).filter((p) => p.userId === 'carol')).toEqual([
      { userId: 'carol', seq: 1 },
    ]);
  });

  it('keeps the order of one key', async () => {
    for (let seq = 1; seq <= 20; seq++) await registrations.register('dave', seq);
    await eventually(
      () => projected('dave').some((p) => p.seq === 20),
      'the 20th registration of dave projected',
      30000,
    );

    const seqs = projected('dave').map((p) => p.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(20);
  });

  it('dead-letters a poison record while the flow goes on', async () => {
    await produceRaw(topic, [{ key: 'eve', value: '{not json' }]);
    await registrations.register('frank', 1);

    const [letter] = await readTopic(`${topic}.dlq`, 1);
    expect(letter.key).toBe('eve');
    await eventually(
      () => projected('frank').length > 0,
      'frank projected after the poison',
      30000,
    );
  });

  it('runs the guard, interceptor, pipe and filter of an @EventSubscribe handler', async () => {
    observed.enhancers.length = 0;
    await registrations.register('blocked', 1);
    await registrations.register('audit-fails', 1);
    await registrations.register('grace', 1);
    await helper.waitForHandled(Registered, {
      ...WAIT,
      handlerId: 'Auditor.onRegistered',
      where: (e) => e.userId === 'grace',
    });
    // Each user is its own key, so the three may be handled in any order: wait for each.
    await helper.waitForHandled(Registered, {
      ...WAIT,
      handlerId: 'Auditor.onRegistered',
      where: (e) => e.userId === 'audit-fails',
    });
    await helper.waitForHandled(Registered, {
      ...WAIT,
      status: 'discarded',
      handlerId: 'Auditor.onRegistered',
      where: (e) => e.userId === 'blocked',
    });

    expect(observed.enhancers).toContain(`guard:${EVENT_BUS_CONTEXT_TYPE}`);
    expect(observed.enhancers).toEqual(
      expect.arrayContaining(['interceptor:before', 'pipe', 'handler:grace', 'interceptor:after']),
    );
    expect(observed.enhancers).not.toContain('handler:blocked');
    expect(AuditFilter.caught).toBeGreaterThanOrEqual(1);
  });
});
