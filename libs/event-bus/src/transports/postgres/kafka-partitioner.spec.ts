import { Partitioners } from 'kafkajs';
import { partitionForKey } from './kafka-partitioner';

describe('partitionForKey', () => {
  // kafkajs' default partitioner is Java's: murmur2 of the key, positive, modulo the partitions.
  const kafkajs = Partitioners.DefaultPartitioner();
  const kafkajsPartition = (key: Buffer, partitions: number): number =>
    kafkajs({
      topic: 't',
      partitionMetadata: Array.from({ length: partitions }, (_, partitionId) => ({
        partitionErrorCode: 0,
        partitionId,
        leader: 0,
        replicas: [0],
        isr: [0],
      })),
      message: { key, value: null },
    });

  it('picks the partition Kafka picks, for keys of every length and bytes that are not UTF-8', () => {
    const keys = [
      ...Array.from({ length: 200 }, (_, i) => Buffer.from(`user-${i}`)),
      ...Array.from({ length: 12 }, (_, n) =>
        Buffer.from(Array.from({ length: n }, (_, i) => 0xff - i * 7)),
      ),
      Buffer.from('ключ-🙂'),
    ];
    for (const partitions of [1, 3, 7, 12]) {
      for (const key of keys) {
        expect(partitionForKey(key, partitions)).toBe(kafkajsPartition(key, partitions));
      }
    }
  });
});
