import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  EVENT_BUS_ENTITIES,
  EventBusModule,
  EventContext,
  EventSubscribe,
} from '@nestbus/event-bus';
import { BenchProfile, BenchUserRegistered } from '../lib/bench-entities';
import { createTopic, freshPostgres, KAFKA_BROKERS, uniqueName } from '../lib/bench-infra';
import { drainArg, fillTopic, report, timeDrain } from '../lib/drain';

const stats = { handled: 0 };

@Injectable()
class DrainProjector {
  @EventSubscribe(BenchUserRegistered)
  async onRegistered(event: BenchUserRegistered, ctx: EventContext): Promise<void> {
    await ctx.manager.insert(BenchProfile, { userId: event.userId, name: event.name });
    stats.handled += 1;
  }
}

/**
 * The consumer alone: `--backlog` records (100,000) wait on Kafka; the bus drains them into
 * PostgreSQL, each as an inbox row plus the profile insert. Compare `consumer-drain-nestjs`.
 */
report(async () => {
  const count = drainArg('backlog', 100_000, 2000);
  const prefix = uniqueName('cdrain');
  const topic = `${prefix}.bench.user-registered`;
  await createTopic(topic);
  await fillTopic(topic, count);
  const db = await freshPostgres('cdrain');
  @Module({
    imports: [
      TypeOrmModule.forRoot({
        type: 'postgres',
        url: db.url,
        entities: [...EVENT_BUS_ENTITIES, BenchProfile],
        synchronize: true,
      }),
      EventBusModule.forRoot({
        serviceId: prefix,
        transport: { type: 'kafka', brokers: KAFKA_BROKERS },
        topics: { naming: (type: string) => `${prefix}.${type}` },
        outbox: { enabled: false },
      }),
      EventBusModule.forFeature({ events: [BenchUserRegistered] }),
    ],
    providers: [DrainProjector],
  })
  class DrainModule {}
  let close: (() => Promise<void>) | undefined;
  try {
    return await timeDrain(
      'consumer-drain-event-bus',
      count,
      600,
      () => stats.handled,
      async () => {
        const app = await NestFactory.createApplicationContext(DrainModule, {
          logger: ['error', 'warn'],
        });
        close = () => app.close();
      },
      'records drained (inbox + profile)',
    );
  } finally {
    await close?.();
    await db.drop();
  }
});
