import { randomBytes } from 'node:crypto';
import { IHeaders, Kafka, logLevel } from 'kafkajs';
import type { IncomingRecord } from '@nestbus/event-bus/transport';

export const KAFKA_BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

const kafka = new Kafka({
  clientId: 'event-bus-tests',
  brokers: KAFKA_BROKERS,
  logLevel: logLevel.NOTHING,
});

/** Fails with how to start the broker when none answers. */
export async function requireKafka(): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } catch (error) {
    throw new Error(
      `Kafka is not reachable at ${KAFKA_BROKERS.join(',')} (${(error as Error).message}). ` +
        'Start it with: npm run kafka:start (scripts/kafka.sh start)',
    );
  } finally {
    await admin.disconnect();
  }
}

/** A name prefix that keeps each test's topics and groups apart on the shared broker. */
export function uniqueName(label: string): string {
  return `${label}-${randomBytes(4).toString('hex')}`;
}

/** Reads every record of `topic` from the beginning until `count` arrived (or the timeout). */
export async function readTopic(
  topic: string,
  count: number,
  timeoutMs = 30000,
): Promise<IncomingRecord[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), allowAutoTopicCreation: false });
  const records: IncomingRecord[] = [];
  let done!: () => void;
  const enough = new Promise<void>((resolve) => (done = resolve));
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic: t, partition, message }) => {
        // Read with kafkajs alone (not the bus's mapper), so tests check the bus against it.
        const headers: Record<string, string> = {};
        const rawHeaders: Record<string, Buffer[]> = {};
        for (const [name, value] of Object.entries(message.headers ?? {})) {
          if (value === undefined) continue;
          const values = (Array.isArray(value) ? value : [value]).map((v) => Buffer.from(v));
          rawHeaders[name] = values;
          headers[name] = values[values.length - 1].toString();
        }
        records.push({
          topic: t,
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? null,
          rawKey: message.key ?? null,
          value: message.value ?? Buffer.alloc(0),
          headers,
          rawHeaders,
          timestamp: Number(message.timestamp),
        });
        if (records.length >= count) done();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([enough, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    return records;
  } finally {
    await consumer.disconnect();
  }
}

/** Produces raw records straight to a topic, bypassing the bus (poison tests). */
export async function produceRaw(
  topic: string,
  messages: Array<{ key?: string | Buffer; value: string | Buffer; headers?: IHeaders }>,
): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}
