import { benchKafka, createTopic, uniqueName } from '../lib/bench-infra';
import { benchRecord, drainArg, report, timeDrain } from '../lib/drain';

/**
 * The relay's ceiling: kafkajs `sendBatch` alone, the records ready in memory, one request of
 * `--batch` records at a time (the relay's `outbox.batchSize`, 100 by default) with the
 * producer settings the bus uses (idempotent, acks all). Compare `relay-drain`.
 */
report(async () => {
  const count = drainArg('backlog', 100_000, 2000);
  const batch = drainArg('batch', 100, 100);
  const topic = uniqueName('bench-produce');
  await createTopic(topic);
  const records = Array.from({ length: count }, (_, i) => benchRecord(i));
  const producer = benchKafka().producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  let sent = 0;
  try {
    return await timeDrain(
      'kafkajs-raw-produce',
      count,
      300,
      () => sent,
      async () => {
        for (let start = 0; start < count; start += batch) {
          const messages = records.slice(start, start + batch);
          await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages }] });
          sent += messages.length;
        }
      },
      `records sent in batches of ${batch}`,
    );
  } finally {
    await producer.disconnect();
  }
});
