import { Controller, INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ClientKafka,
  ClientsModule,
  EventPattern,
  MicroserviceOptions,
  Payload,
  Transport,
} from '@nestjs/microservices';
import { InjectDataSource, TypeOrmModule } from '@nestjs/typeorm';
import { lastValueFrom } from 'rxjs';
import { DataSource } from 'typeorm';
import { BenchProfile, BenchUser } from '../lib/bench-entities';
import { createTopic, freshPostgres, KAFKA_BROKERS, uniqueName } from '../lib/bench-infra';
import { LatencyRecorder, now } from '../lib/metrics';
import { main, ScenarioDriver } from '../lib/scenario';

const TOPIC = uniqueName('bench-nest');
const CLIENT = 'BENCH_KAFKA';
const stats = { latencies: new LatencyRecorder(1), handled: 0 };

interface Registered {
  userId: string;
  name: string;
  createdAt: number;
}

@Controller()
class ProfileController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @EventPattern(TOPIC)
  async onRegistered(@Payload() event: Registered): Promise<void> {
    await this.dataSource
      .getRepository(BenchProfile)
      .insert({ userId: event.userId, name: event.name });
    stats.latencies.record(now() - event.createdAt);
    stats.handled += 1;
  }
}

/**
 * Baseline: what a Nest user would pick instead. A transaction inserts the user, then
 * `ClientKafka.emit` sends the event (no outbox: a crash in between loses it); an
 * `@EventPattern` handler inserts the profile (no inbox: a redelivery applies it twice).
 */
class NestKafkaDriver implements ScenarioDriver {
  readonly name = 'nestjs-kafka-transport';
  readonly latencies = stats.latencies;
  private app?: INestApplication;
  private client?: ClientKafka;
  private dataSource?: DataSource;
  private dropDatabase?: () => Promise<void>;

  async setup(): Promise<void> {
    const db = await freshPostgres('nest');
    this.dropDatabase = db.drop;
    await createTopic(TOPIC);
    @Module({
      imports: [
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: db.url,
          entities: [BenchUser, BenchProfile],
          synchronize: true,
          extra: { max: 40 },
        }),
        ClientsModule.register([
          {
            name: CLIENT,
            transport: Transport.KAFKA,
            options: {
              client: { clientId: 'bench-nest-producer', brokers: KAFKA_BROKERS },
              producer: { allowAutoTopicCreation: false },
              producerOnlyMode: true,
            },
          },
        ]),
      ],
      controllers: [ProfileController],
    })
    class NestKafkaModule {}
    this.app = await NestFactory.create(NestKafkaModule, { logger: ['error', 'warn'] });
    this.app.connectMicroservice<MicroserviceOptions>({
      transport: Transport.KAFKA,
      options: {
        client: { clientId: 'bench-nest-consumer', brokers: KAFKA_BROKERS },
        consumer: { groupId: uniqueName('bench-nest'), allowAutoTopicCreation: false },
        subscribe: { fromBeginning: true },
        run: { partitionsConsumedConcurrently: 3 },
      },
    });
    await this.app.startAllMicroservices();
    await this.app.init();
    this.client = this.app.get<ClientKafka>(CLIENT);
    await this.client.connect();
    this.dataSource = this.app.get(DataSource);
  }

  async produce(i: number): Promise<void> {
    const event: Registered = { userId: `user-${i}`, name: `name ${i}`, createdAt: now() };
    await this.dataSource!.transaction((manager) =>
      manager.insert(BenchUser, { id: event.userId, name: event.name }),
    );
    await lastValueFrom(this.client!.emit(TOPIC, { key: event.userId, value: event }));
  }

  handled(): number {
    return stats.handled;
  }

  async teardown(): Promise<void> {
    await this.app?.close();
    await this.dropDatabase?.();
  }
}

main(() => new NestKafkaDriver());
