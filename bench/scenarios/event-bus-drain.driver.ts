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
import {
  benchTransport,
  createTopic,
  freshPostgres,
  uniqueName,
  withClient,
} from '../lib/bench-infra';
import type { ScenarioResult } from '../lib/scenario';
import { drainArg, fillTopic, timeDrain } from '../lib/drain';

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
 * The bus's consumer alone: `--backlog` records wait on Kafka before it starts; it drains them
 * into PostgreSQL, each as an inbox row plus the profile insert, and its peak RSS is measured.
 */
export async function drainWithTheBus(name: string, backlog: number): Promise<ScenarioResult> {
  const count = drainArg('backlog', backlog, 2000);
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
        transport: benchTransport(),
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
      withClient(name),
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
}
