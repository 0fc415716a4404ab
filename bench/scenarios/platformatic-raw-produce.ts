import { Producer, ProduceAcks, stringSerializers } from '@platformatic/kafka';
import { createTopic, KAFKA_BROKERS, uniqueName } from '../lib/bench-infra';
import { benchRecord, drainArg, report, timeDrain } from '../lib/drain';

/**
 * `kafkajs-raw-produce` on @platformatic/kafka: its producer alone, the records ready in memory,
 * one send of `--batch` records at a time (100, the relay's `outbox.batchSize`), idempotent with
 * acks from all replicas, as the bus's transport sets it. Compare `relay-drain-platformatic`.
 */
report(async () => {
  const count = drainArg('backlog', 100_000, 2000);
  const batch = drainArg('batch', 100, 100);
  const topic = uniqueName('bench-produce');
  await createTopic(topic);
  const records = Array.from({ length: count }, (_, i) => {
    const { key, value, headers } = benchRecord(i);
    return { topic, key, value, headers: new Map(Object.entries(headers)) };
  });
  const producer = new Producer({
    clientId: 'event-bus-bench',
    bootstrapBrokers: KAFKA_BROKERS,
    idempotent: true,
    acks: ProduceAcks.ALL,
    autocreateTopics: false,
    serializers: stringSerializers,
  });
  let sent = 0;
  try {
    return await timeDrain(
      'platformatic-raw-produce',
      count,
      300,
      () => sent,
      async () => {
        for (let start = 0; start < count; start += batch) {
          const messages = records.slice(start, start + batch);
          await producer.send({ messages });
          sent += messages.length;
        }
      },
      `records sent in batches of ${batch}`,
    );
  } finally {
    await producer.close();
  }
});
