import { Controller, INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, MicroserviceOptions, Payload, Transport } from '@nestjs/microservices';
import { InjectDataSource, TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BenchProfile } from '../lib/bench-entities';
import { createTopic, freshPostgres, KAFKA_BROKERS, uniqueName } from '../lib/bench-infra';
import { drainArg, fillTopic, report, timeDrain } from '../lib/drain';

const TOPIC = uniqueName('bench-nest-drain');
const stats = { handled: 0 };

@Controller()
class ProfileController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @EventPattern(TOPIC)
  async onRegistered(@Payload() event: { userId: string; name: string }): Promise<void> {
    await this.dataSource
      .getRepository(BenchProfile)
      .insert({ userId: event.userId, name: event.name });
    stats.handled += 1;
  }
}

/**
 * The Nest Kafka transport's consumer alone: the same backlog as `consumer-drain-event-bus`,
 * drained by an `@EventPattern` handler inserting the profile (no inbox, no transaction of its
 * own around the insert).
 */
report(async () => {
  const count = drainArg('backlog', 100_000, 2000);
  await createTopic(TOPIC);
  await fillTopic(TOPIC, count);
  const db = await freshPostgres('nestdrain');
  @Module({
    imports: [
      TypeOrmModule.forRoot({
        type: 'postgres',
        url: db.url,
        entities: [BenchProfile],
        synchronize: true,
      }),
    ],
    controllers: [ProfileController],
  })
  class NestDrainModule {}
  let app: INestApplication | undefined;
  try {
    return await timeDrain(
      'consumer-drain-nestjs',
      count,
      900,
      () => stats.handled,
      async () => {
        app = await NestFactory.create(NestDrainModule, { logger: ['error', 'warn'] });
        app.connectMicroservice<MicroserviceOptions>({
          transport: Transport.KAFKA,
          options: {
            client: { clientId: 'bench-nest-drain', brokers: KAFKA_BROKERS },
            consumer: { groupId: uniqueName('bench-nest-drain'), allowAutoTopicCreation: false },
            subscribe: { fromBeginning: true },
            run: { partitionsConsumedConcurrently: 3 },
          },
        });
        await app.startAllMicroservices();
        await app.init();
      },
      'records drained (profile)',
    );
  } finally {
    await app?.close();
    await db.drop();
  }
});
