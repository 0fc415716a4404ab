import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { Kafka, logLevel } from 'kafkajs';

export const PG_ADMIN_URL =
  process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const KAFKA_BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

/** The Kafka client a bus scenario runs on: `--client platformatic-kafka`, kafkajs otherwise. */
export type BenchClient = 'kafka' | 'platformatic-kafka';
export function benchClient(): BenchClient {
  const i = process.argv.indexOf('--client');
  const client = i >= 0 ? process.argv[i + 1] : 'kafka';
  if (client !== 'kafka' && client !== 'platformatic-kafka')
    throw new Error(`--client must be kafka or platformatic-kafka, not "${client}"`);
  return client;
}

/** The bus's transport on the bench broker, through the client `--client` selects. */
export const benchTransport = (): { type: BenchClient; brokers: string[] } => ({
  type: benchClient(),
  brokers: KAFKA_BROKERS,
});

/** A scenario's name in the table: suffixed `-platformatic` when it runs on that client. */
export const withClient = (name: string): string =>
  benchClient() === 'platformatic-kafka' ? `${name}-platformatic` : name;

export const uniqueName = (label: string): string => `${label}-${randomBytes(4).toString('hex')}`;

/** A fresh PostgreSQL database for one scenario; `drop()` removes it. */
export async function freshPostgres(
  label: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `bench_${label.replace(/[^a-z0-9]/g, '_')}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`),
    drop: async () => {
      const client = new Client({ connectionString: PG_ADMIN_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

export const benchKafka = (): Kafka =>
  new Kafka({ clientId: 'event-bus-bench', brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING });

export async function createTopic(name: string, partitions = 3): Promise<void> {
  const admin = benchKafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: name, numPartitions: partitions, replicationFactor: 1 }],
    });
  } finally {
    await admin.disconnect();
  }
}
