import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { EVENT_BUS_ENTITIES, EventBusModule } from '@nestbus/event-bus';
import {
  benchTransport,
  createTopic,
  freshPostgres,
  uniqueName,
  withClient,
} from '../lib/bench-infra';
import { drainArg, report, timeDrain } from '../lib/drain';

/**
 * The relay alone: `--backlog` rows (100,000) already committed in the outbox, drained to
 * Kafka by one instance's relay (no consumer), `--batch` rows a claim (100) and `--in-flight`
 * claims at once (2, `outbox.batchesInFlight`). Compare `kafkajs-raw-produce`, the client alone.
 */
report(async () => {
  const count = drainArg('backlog', 100_000, 2000);
  const prefix = uniqueName('relay');
  const topic = `${prefix}.bench.user-registered`;
  await createTopic(topic);
  const db = await freshPostgres('relay');
  const seed = new DataSource({
    type: 'postgres',
    url: db.url,
    entities: EVENT_BUS_ENTITIES,
    synchronize: true,
  });
  await seed.initialize();
  const now = new Date();
  for (let start = 0; start < count; start += 1000) {
    const n = Math.min(1000, count - start);
    const values: unknown[] = [];
    const tuples: string[] = [];
    for (let k = 0; k < n; k++) {
      const i = start + k;
      const payload = JSON.stringify({ userId: `user-${i}`, name: `name ${i}`, createdAt: 0 });
      values.push(uuidv7(), `user-${i}`, payload, now);
      const p = k * 4;
      tuples.push(
        `($${p + 1}, 'bench.user-registered', 1, $${p + 2}, '${topic}', $${p + 3}, '{}', ` +
          `'pending', 0, $${p + 4}, $${p + 4})`,
      );
    }
    await seed.query(
      'INSERT INTO event_outbox (id, type, version, key, topic, payload, headers, status, ' +
        `attempts, next_attempt_at, created_at) VALUES ${tuples.join(', ')}`,
      values,
    );
  }
  // A backlog that builds up over time has statistics (autovacuum analyses as rows arrive); one
  // loaded in a moment into a fresh table has none, and the claim's plan would scan it whole.
  await seed.query('ANALYZE event_outbox');
  await seed.destroy();
  process.stderr.write(`  relay-drain: ${count} rows committed in the outbox\n`);

  let sent = 0;
  @Module({
    imports: [
      TypeOrmModule.forRoot({
        type: 'postgres',
        url: db.url,
        entities: EVENT_BUS_ENTITIES,
        synchronize: false,
      }),
      EventBusModule.forRoot({
        serviceId: prefix,
        transport: benchTransport(),
        topics: { naming: (type: string) => `${prefix}.${type}` },
        consumer: { enabled: false },
        outbox: {
          batchSize: drainArg('batch', 100, 100),
          batchesInFlight: drainArg('in-flight', 2, 2),
        },
        interceptors: [{ onSent: (events) => void (sent += events.length) }],
      }),
    ],
  })
  class RelayModule {}
  let close: (() => Promise<void>) | undefined;
  try {
    return await timeDrain(
      withClient('relay-drain'),
      count,
      600,
      () => sent,
      async () => {
        const app = await NestFactory.createApplicationContext(RelayModule, {
          logger: ['error', 'warn'],
        });
        close = () => app.close();
      },
      'outbox rows sent by the relay',
    );
  } finally {
    await close?.();
    await db.drop();
  }
});
