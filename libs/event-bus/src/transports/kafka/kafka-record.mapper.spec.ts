import type { KafkaMessage } from 'kafkajs';
import { toIncomingRecord } from './kafka-record.mapper';

const NOT_UTF8 = Buffer.from([0xff, 0xfe, 0x80]);

function message(overrides: Partial<KafkaMessage> = {}): KafkaMessage {
  return {
    key: Buffer.from('k'),
    value: Buffer.from('{}'),
    timestamp: '1700000000000',
    attributes: 0,
    offset: '42',
    headers: {},
    ...overrides,
  } as KafkaMessage;
}

describe('toIncomingRecord', () => {
  it('keeps the key bytes that are not UTF-8, beside the decoded view', () => {
    const record = toIncomingRecord('t', 1, message({ key: NOT_UTF8 }));
    expect(record.rawKey).toEqual(NOT_UTF8);
    expect(record.key).toBe('\ufffd\ufffd\ufffd');
    expect(record).toMatchObject({ topic: 't', partition: 1, offset: '42' });
  });

  it('keeps every value of a repeated header as bytes, in order; the view has the last', () => {
    const first = Buffer.from([0x80, 0x00]);
    const second = Buffer.from('two');
    const record = toIncomingRecord(
      't',
      0,
      message({ headers: { trace: [first, second], bin: NOT_UTF8, ce_id: Buffer.from('e-1') } }),
    );
    expect(record.rawHeaders).toEqual({
      trace: [first, second],
      bin: [NOT_UTF8],
      ce_id: [Buffer.from('e-1')],
    });
    expect(record.headers).toEqual({ trace: 'two', bin: '\ufffd\ufffd\ufffd', ce_id: 'e-1' });
  });

  it('gives a null key and an empty value as such', () => {
    const record = toIncomingRecord('t', 0, message({ key: null, value: null }));
    expect(record.key).toBeNull();
    expect(record.rawKey).toBeNull();
    expect(record.value).toEqual(Buffer.alloc(0));
  });
});
