import { INestApplicationContext, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { v7 as uuidv7 } from 'uuid';
import {
  EVENT_BUS_ENTITIES,
  EventBusModule,
  EventContext,
  EventSubscribe,
} from '@nestbus/event-bus';
import { BenchProfile, BenchUserRegistered } from '../lib/bench-entities';
import {
  benchKafka,
  createTopic,
  freshPostgres,
  KAFKA_BROKERS,
  uniqueName,
} from '../lib/bench-infra';
import { ResourceMonitor, round } from '../lib/metrics';
import type { ScenarioResult } from '../lib/scenario';

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
 * Memory under a backlog: `--backlog` events (200,000 by default) wait in Kafka before the
 * consumer starts; its peak RSS is measured while it drains them (bounded by `--max-seconds`).
 */
async function main(): Promise<void> {
  const arg = (name: string, fallback: number): number => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const quick = process.argv.includes('--events');
  const backlog = arg('backlog', quick ? 2000 : 200_000);
  const maxSeconds = arg('max-seconds', 180);
  const prefix = uniqueName('drain');
  const topic = `${prefix}.bench.user-registered`;
  await createTopic(topic);

  const producer = benchKafka().producer({ allowAutoTopicCreation: false });
  await producer.connect();
  for (let start = 0; start < backlog; start += 1000) {
    const messages = Array.from({ length: Math.min(1000, backlog - start) }, (_, n) => {
      const i = start + n;
      return {
        key: `user-${i}`,
        value: JSON.stringify({ userId: `user-${i}`, name: `name ${i}`, createdAt: Date.now() }),
        headers: {
          ce_specversion: '1.0',
          ce_id: uuidv7(),
          ce_source: 'bench',
          ce_type: 'bench.user-registered',
          ce_dataversion: '1',
          'content-type': 'application/json',
        },
      };
    });
    await producer.send({ topic, acks: -1, messages });
  }
  await producer.disconnect();
  process.stderr.write(`  event-bus-backlog-drain: ${backlog} events waiting in ${topic}\n`);

  const db = await freshPostgres('drain');
  const monitor = new ResourceMonitor();
  let app: INestApplicationContext | undefined;
  try {
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
      ],
      providers: [DrainProjector],
    })
    class DrainModule {}
    monitor.start();
    const started = performance.now();
    app = await NestFactory.createApplicationContext(DrainModule, { logger: ['error', 'warn'] });
    const deadline = started + maxSeconds * 1000;
    while (stats.handled < backlog && performance.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    const seconds = (performance.now() - started) / 1000;
    const { peakRssMb, cpuSec } = monitor.stop();
    const result: ScenarioResult = {
      name: 'event-bus-backlog-drain',
      events: stats.handled,
      eventsPerSec: round(stats.handled / seconds, 0),
      p50Ms: NaN,
      p95Ms: NaN,
      p99Ms: NaN,
      halfSaturationPerSec: NaN,
      halfSaturationP50Ms: NaN,
      halfSaturationP95Ms: NaN,
      halfSaturationP99Ms: NaN,
      saturationP50Ms: NaN,
      saturationP95Ms: NaN,
      saturationP99Ms: NaN,
      peakRssMb,
      cpuSecPer1kEvents: round((cpuSec / Math.max(1, stats.handled)) * 1000, 3),
      notes: `consumer only, draining a backlog of ${backlog} (${stats.handled} drained in ${seconds.toFixed(1)} s)`,
    };
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  } finally {
    await app?.close();
    await db.drop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
