import { Controller, INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { TypeOrmModule } from '@nestjs/typeorm';
import { lastValueFrom } from 'rxjs';
import { DataSource } from 'typeorm';
import { EVENT_BUS_ENTITIES, EventBusModule } from '@nestbus/event-bus';
import {
  EventBusClient,
  EventBusContext,
  EventBusMicroservicesModule,
  EventBusServer,
} from '@nestbus/event-bus/microservices';
import { BenchProfile, BenchUser, BenchUserRegistered } from '../lib/bench-entities';
import { freshPostgres, KAFKA_BROKERS, uniqueName } from '../lib/bench-infra';
import { LatencyRecorder, now } from '../lib/metrics';
import { main, ScenarioDriver } from '../lib/scenario';

const TYPE = 'bench.user-registered';
const stats = { latencies: new LatencyRecorder(1), handled: 0 };

@Controller()
class ProfileController {
  @EventPattern(TYPE)
  async onRegistered(
    @Payload() event: BenchUserRegistered,
    @Ctx() ctx: EventBusContext,
  ): Promise<void> {
    await ctx.manager.insert(BenchProfile, { userId: event.userId, name: event.name });
    stats.latencies.record(now() - event.createdAt);
    stats.handled += 1;
  }
}

/**
 * `nestjs-kafka-transport`'s application with the bus as its transport: the same user
 * transaction and profile insert, `EventBusClient.emit` in the transaction (the outbox) and the
 * same `@EventPattern` handler on `EventBusServer` (the inbox). What the guarantees cost
 * against Nest's own Kafka transport.
 */
class EventBusNestHandlersDriver implements ScenarioDriver {
  readonly name = 'event-bus-nest-handlers';
  readonly latencies = stats.latencies;
  private app?: INestApplication;
  private client?: EventBusClient;
  private dataSource?: DataSource;
  private dropDatabase?: () => Promise<void>;

  async setup(): Promise<void> {
    const db = await freshPostgres('nesthandlers');
    this.dropDatabase = db.drop;
    const prefix = uniqueName('bench-nh');
    @Module({
      imports: [
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: db.url,
          entities: [...EVENT_BUS_ENTITIES, BenchUser, BenchProfile],
          synchronize: true,
          extra: { max: 40 },
        }),
        EventBusModule.forRoot({
          serviceId: prefix,
          transport: { type: 'kafka', brokers: KAFKA_BROKERS },
          topics: { naming: (type: string) => `${prefix}.${type}` },
        }),
        EventBusModule.forFeature({ events: [BenchUserRegistered] }),
        EventBusMicroservicesModule,
      ],
      controllers: [ProfileController],
    })
    class NestHandlersModule {}
    this.app = await NestFactory.create(NestHandlersModule, { logger: ['error', 'warn'] });
    this.app.connectMicroservice({ strategy: this.app.get(EventBusServer) });
    await this.app.startAllMicroservices();
    await this.app.init();
    this.client = this.app.get(EventBusClient);
    this.dataSource = this.app.get(DataSource);
  }

  async produce(i: number): Promise<void> {
    const event = BenchUserRegistered.of(`user-${i}`, `name ${i}`, now());
    await this.dataSource!.transaction(async (manager) => {
      await manager.insert(BenchUser, { id: event.userId, name: event.name });
      await lastValueFrom(this.client!.in(manager).emit(TYPE, event));
    });
  }

  handled(): number {
    return stats.handled;
  }

  async teardown(): Promise<void> {
    await this.app?.close();
    await this.dropDatabase?.();
  }
}

main(() => new EventBusNestHandlersDriver());
