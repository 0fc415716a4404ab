import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { EVENT_BUS_ENTITIES, EVENT_BUS_MIGRATIONS, EventBusModule } from '@nestbus/event-bus';
import type {
  EventTransport,
  OutgoingRecord,
  TransportSubscription,
} from '@nestbus/event-bus/transport';
import { createTestDatabase, eventually, TestDatabase } from './support/databases';

const KEYS = 20;
const PER_KEY = 100;
const TOTAL = KEYS * PER_KEY;

/**
 * A transport that keeps what it is sent, in the order sends complete, and takes 0–19 ms per
 * send, so batches claimed one after another finish out of order. It counts the sends in flight.
 */
class RecordingTransport implements EventTransport {
  readonly name = 'recording';
  readonly durable = true;
  readonly received: OutgoingRecord[] = [];
  inFlight = 0;
  mostInFlight = 0;
  async connect(): Promise<void> {}
  async ensureTopics(): Promise<void> {}
  async send(records: OutgoingRecord[]): Promise<void> {
    this.inFlight++;
    this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
    await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 20)));
    this.received.push(...records);
    this.inFlight--;
  }
  async subscribe(): Promise<TransportSubscription> {
    throw new Error('this test does not consume');
  }
  async close(): Promise<void> {}
}

/**
 * `outbox.batchesInFlight` on PostgreSQL: during a backlog the relay claims the next batch while
 * earlier ones still send. Rows of one key spread over many batches must still leave in order,
 * each once.
 */
describe('relay backlog with several batches in flight (PostgreSQL)', () => {
  let db: TestDatabase;
  let app: INestApplicationContext | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('sends every row once and each key in order while batches overlap', async () => {
    const transport = new RecordingTransport();
    @Module({
      imports: [
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: db.url,
          entities: EVENT_BUS_ENTITIES,
          migrations: EVENT_BUS_MIGRATIONS,
          migrationsRun: true,
        }),
        EventBusModule.forRoot({
          serviceId: 'relay-order',
          transport: { type: 'custom', transport },
          consumer: { enabled: false },
          outbox: { batchSize: 10, batchesInFlight: 4, pollIntervalMs: 50 },
        }),
      ],
    })
    class RelayModule {}
    app = await NestFactory.createApplicationContext(RelayModule, { logger: false });

    // One commit of 2,000 rows, the keys interleaved: every claim of 10 holds each key at most
    // once, so a key's rows are spread over 100 batches.
    const dataSource = app.get(DataSource);
    await dataSource.transaction(async (manager) => {
      for (let seq = 0; seq < PER_KEY; seq += 10) {
        const values: unknown[] = [];
        const tuples: string[] = [];
        for (let s = seq; s < seq + 10; s++) {
          for (let k = 0; k < KEYS; k++) {
            const p = values.length;
            values.push(uuidv7(), `key-${k}`, JSON.stringify({ key: `key-${k}`, seq: s }));
            tuples.push(
              `($${p + 1}, 'order.test', 1, $${p + 2}, 'order-topic', $${p + 3}, '{}', 'pending', 0, now(), now())`,
            );
          }
        }
        await manager.query(
          'INSERT INTO event_outbox (id, type, version, key, topic, payload, headers, status, ' +
            `attempts, next_attempt_at, created_at) VALUES ${tuples.join(', ')}`,
          values,
        );
      }
    });

    await eventually(() => transport.received.length >= TOTAL, `${TOTAL} rows sent`, 60_000);
    // Let a stray duplicate show up if there is one.
    await new Promise((resolve) => setTimeout(resolve, 300));

    const sent = transport.received.map(
      (r) => JSON.parse(r.value.toString()) as { key: string; seq: number },
    );
    expect(sent).toHaveLength(TOTAL);
    for (let k = 0; k < KEYS; k++) {
      expect(sent.filter((e) => e.key === `key-${k}`).map((e) => e.seq)).toEqual(
        Array.from({ length: PER_KEY }, (_, i) => i),
      );
    }
    // The case under test happened: batches were in flight together.
    expect(transport.mostInFlight).toBeGreaterThan(1);
  });
});
