import type { KafkaRecord, RecordsBatch } from '@platformatic/kafka';
import { nextOffsetAfter, recordsFrom, toMessage } from './platformatic-kafka-record.mapper';

const NOT_UTF8 = Buffer.from([0xff, 0xfe, 0x80]);

function record(offsetDelta: number, overrides: Partial<KafkaRecord> = {}): KafkaRecord {
  return {
    length: 0,
    attributes: 0,
    timestampDelta: BigInt(offsetDelta),
    offsetDelta,
    key: Buffer.from('k'),
    value: Buffer.from('{}'),
    headers: [],
    ...overrides,
  };
}

function batch(firstOffset: bigint, records: KafkaRecord[], attributes = 0): RecordsBatch {
  return {
    firstOffset,
    length: 0,
    partitionLeaderEpoch: 0,
    magic: 2,
    crc: 0,
    attributes,
    lastOffsetDelta: records.length - 1,
    firstTimestamp: 1_700_000_000_000n,
    maxTimestamp: 1_700_000_000_000n,
    producerId: -1n,
    producerEpoch: -1,
    firstSequence: -1,
    records,
  };
}

describe('platformatic-kafka record mapping', () => {
  it('keeps key and header bytes, every value of a repeated header in order, and the position', () => {
    const first = Buffer.from([0x80, 0x00]);
    const [mapped] = recordsFrom('t', 2, [
      batch(40n, [
        record(2, {
          key: NOT_UTF8,
          headers: [
            [Buffer.from('trace'), first],
            [Buffer.from('bin'), NOT_UTF8],
            [Buffer.from('trace'), Buffer.from('two')],
          ],
        }),
      ]),
    ]);
    expect(mapped).toMatchObject({ topic: 't', partition: 2, offset: '42' });
    expect(mapped.timestamp).toBe(1_700_000_000_002);
    expect(mapped.rawKey).toEqual(NOT_UTF8);
    expect(mapped.key).toBe('\ufffd\ufffd\ufffd');
    expect(mapped.rawHeaders).toEqual({ trace: [first, Buffer.from('two')], bin: [NOT_UTF8] });
    expect(mapped.headers).toEqual({ trace: 'two', bin: '\ufffd\ufffd\ufffd' });
  });

  it('gives a null key and an empty value as such', () => {
    const [mapped] = recordsFrom('t', 0, [batch(0n, [record(0, { key: null, value: null })])]);
    expect(mapped.key).toBeNull();
    expect(mapped.rawKey).toBeNull();
    expect(mapped.value).toEqual(Buffer.alloc(0));
  });

  it('skips records before the position and transaction markers, and steps over both', () => {
    const batches = [
      batch(10n, [record(0), record(1), record(2)]),
      batch(13n, [record(0)], 0b10_0000),
    ];
    expect(recordsFrom('t', 0, batches, 11n).map((r) => r.offset)).toEqual(['11', '12']);
    expect(nextOffsetAfter(batches)).toBe(14n);
    expect(nextOffsetAfter([])).toBeUndefined();
  });

  it('sends bytes as they are, a repeated header once per value, and no key as none', () => {
    const message = toMessage({
      topic: 't',
      key: NOT_UTF8,
      value: Buffer.from('v'),
      headers: { hop: ['one', Buffer.from([0x80])], text: 'clé' },
    });
    expect(message.key).toEqual(NOT_UTF8);
    expect(
      [...(message.headers as Map<Buffer, Buffer>)].map(([n, v]) => [n.toString(), v]),
    ).toEqual([
      ['hop', Buffer.from('one')],
      ['hop', Buffer.from([0x80])],
      ['text', Buffer.from('clé')],
    ]);
    expect(toMessage({ topic: 't', key: null, value: Buffer.alloc(0), headers: {} }).key).toBe(
      undefined,
    );
  });
});
