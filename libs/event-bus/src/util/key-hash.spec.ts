import { murmur2, partitionForKey } from './key-hash';

describe('murmur2', () => {
  // Apache Kafka's own vectors: clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java
  // (testMurmur2), for org.apache.kafka.common.utils.Utils.murmur2.
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('hashes %j as the Kafka Java client does', (key, expected) => {
    expect(murmur2(key)).toBe(expected);
  });

  it('hashes every tail length (0 to 3 trailing bytes) as a signed 32-bit integer', () => {
    for (const key of ['', 'a', 'ab', 'abc', 'abcd', 'abcde', 'abcdef', 'abcdefg']) {
      const hash = murmur2(key);
      expect(Number.isInteger(hash)).toBe(true);
      expect(hash).toBeGreaterThanOrEqual(-(2 ** 31));
      expect(hash).toBeLessThan(2 ** 31);
    }
  });

  it('hashes the UTF-8 bytes of the key', () => {
    expect(murmur2('clé')).not.toBe(murmur2('cle'));
    expect(murmur2('clé')).toBe(murmur2(Buffer.from('clé', 'utf8').toString()));
  });
});

describe('partitionForKey', () => {
  it("is Kafka's toPositive(murmur2(key)) % partitions", () => {
    // -973932308 & 0x7fffffff = 1173551340
    expect(partitionForKey('21', 1000)).toBe(1173551340 % 1000);
    expect(partitionForKey('foobar', 7)).toBe((-790332482 & 0x7fffffff) % 7);
  });

  it('gives one key the same partition every time', () => {
    const first = partitionForKey('order-42', 12);
    for (let i = 0; i < 50; i++) expect(partitionForKey('order-42', 12)).toBe(first);
  });

  it('stays within [0, partitions)', () => {
    for (let i = 0; i < 500; i++) {
      const partition = partitionForKey(`key-${i}`, 5);
      expect(partition).toBeGreaterThanOrEqual(0);
      expect(partition).toBeLessThan(5);
    }
  });

  it('spreads many keys over every partition', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[partitionForKey(`user-${i}`, 4)] += 1;

    // An even spread is 1000 each; a broken hash piles keys on few partitions.
    for (const count of counts) expect(count).toBeGreaterThan(800);
  });
});
