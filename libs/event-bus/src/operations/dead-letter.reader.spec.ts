import type { IncomingRecord } from '../transports/event-transport.interface';
import { deadLetterAddress, DeadLetterReader, toDeadLetter } from './dead-letter.reader';
import type {
  PartitionRange,
  RecordSink,
  TopicReader,
  TopicReadOptions,
  TopicReadResult,
} from '../transports/topic-reader.interface';
import { asReceived } from '../transports/record-bytes';

/** A topic reader over fixed records: the subject here is the reader on top of it. */
class FixedTopicReader implements TopicReader {
  readonly reads: Array<{ topic: string; options?: TopicReadOptions }> = [];

  constructor(private readonly topics: Record<string, IncomingRecord[][]>) {}

  async listTopics(): Promise<string[]> {
    return Object.keys(this.topics);
  }

  async partitions(topic: string): Promise<PartitionRange[]> {
    return this.topics[topic].map((records, partition) => ({
      partition,
      low: records[0]?.offset ?? '0',
      high: String(records.length === 0 ? 0 : Number(records[records.length - 1].offset) + 1),
    }));
  }

  async read(
    topic: string,
    sink: RecordSink,
    options?: TopicReadOptions,
  ): Promise<TopicReadResult> {
    this.reads.push({ topic, options });
    let read = 0;
    for (const [partition, records] of this.topics[topic].entries()) {
      if (options?.partitions && !options.partitions.includes(partition)) continue;
      const from = BigInt(options?.from?.get(partition) ?? '0');
      const batch = records.filter((r) => BigInt(r.offset) >= from);
      read += batch.length;
      if ((await sink(batch)) === false) return { read, total: read, stopped: true };
    }
    return { read, total: read, stopped: false };
  }

  async close(): Promise<void> {}
}

function letter(
  partition: number,
  offset: number,
  headers: Record<string, string> = {},
): IncomingRecord {
  return {
    topic: 'orders.dlq',
    partition,
    offset: String(offset),
    ...asReceived({ key: 'k1', value: Buffer.from('{"n":1}'), headers }),
    timestamp: Date.UTC(2025, 0, 1),
  };
}

const FAILED = {
  ce_id: '0192a3b4-0000-7000-8000-000000000001',
  ce_type: 'order.placed',
  ce_dataversion: '2',
  ce_source: 'order-service',
  ce_time: '2025-01-01T00:00:00.000Z',
  'x-error-type': 'validation_failed',
  'x-error-message': 'total: must be positive',
  'x-handler': 'Billing.onPlaced',
  'x-attempts': '1',
  'x-original-topic': 'orders',
  'x-original-partition': '2',
  'x-original-offset': '41',
};

describe('DeadLetterReader', () => {
  const topics = {
    orders: [[]],
    'orders.dlq': [
      [letter(0, 0, FAILED), letter(0, 1)],
      [letter(1, 5), letter(1, 7)],
    ],
    'staging.payments.dlq': [[]],
  };

  it('takes an event topic or its .dlq topic, and tries the topic prefix', async () => {
    const reader = new DeadLetterReader(new FixedTopicReader(topics));
    await expect(reader.resolveTopic('orders')).resolves.toBe('orders.dlq');
    await expect(reader.resolveTopic('orders.dlq')).resolves.toBe('orders.dlq');
    await expect(reader.resolveTopic('payments', 'staging.')).resolves.toBe('staging.payments.dlq');
  });

  it('names the dead-letter topics that exist when the asked one does not', async () => {
    const reader = new DeadLetterReader(new FixedTopicReader(topics));
    await expect(reader.resolveTopic('invoices')).rejects.toThrow(
      'Dead-letter topic "invoices.dlq" does not exist. Dead-letter topics: orders.dlq, staging.payments.dlq.',
    );
  });

  it('hands over letters with their event attributes and failure headers', async () => {
    const reader = new DeadLetterReader(new FixedTopicReader(topics));
    const seen: string[] = [];
    const result = await reader.read('orders.dlq', (letters) => {
      seen.push(...letters.map(deadLetterAddress));
    });
    expect(result).toEqual({ read: 4, total: 4, stopped: false });
    expect(seen).toEqual(['orders.dlq/0/0', 'orders.dlq/0/1', 'orders.dlq/1/5', 'orders.dlq/1/7']);
  });

  it('finds one letter by partition and offset, reading only from there', async () => {
    const fixed = new FixedTopicReader(topics);
    const reader = new DeadLetterReader(fixed);
    const found = await reader.find('orders.dlq', 1, '7');
    expect(found && deadLetterAddress(found)).toBe('orders.dlq/1/7');
    expect(fixed.reads[0].options?.partitions).toEqual([1]);
    expect(fixed.reads[0].options?.from?.get(1)).toBe('7');
    // Offset 6 is inside the partition's range but holds no record (compacted, say).
    await expect(reader.find('orders.dlq', 1, '6')).resolves.toBeUndefined();
  });

  it('refuses partitions and offsets the topic does not hold', async () => {
    const reader = new DeadLetterReader(new FixedTopicReader(topics));
    await expect(reader.find('orders.dlq', 9, '0')).rejects.toThrow('has no partition 9');
    await expect(reader.find('orders.dlq', 1, '8')).rejects.toThrow(
      'holds offsets 5 to 7; 8 is not among them',
    );
    await expect(reader.find('staging.payments.dlq', 0, '0')).rejects.toThrow('holds no records');
  });
});

describe('toDeadLetter', () => {
  it('reads the CloudEvents attributes and the x-* failure headers', () => {
    expect(toDeadLetter(letter(0, 0, FAILED))).toMatchObject({
      topic: 'orders.dlq',
      partition: 0,
      offset: '0',
      key: 'k1',
      timestamp: new Date(Date.UTC(2025, 0, 1)),
      eventId: FAILED.ce_id,
      type: 'order.placed',
      version: '2',
      source: 'order-service',
      time: '2025-01-01T00:00:00.000Z',
      originalTopic: 'orders',
      originalPartition: '2',
      originalOffset: '41',
      errorType: 'validation_failed',
      errorMessage: 'total: must be positive',
      handler: 'Billing.onPlaced',
      attempts: '1',
    });
  });

  it('leaves missing headers null and derives the original topic from the dlq name', () => {
    const parsed = toDeadLetter(letter(0, 1));
    expect(parsed.eventId).toBeNull();
    expect(parsed.errorType).toBeNull();
    expect(parsed.originalTopic).toBe('orders');
  });
});
