import type { KafkaRecord, MessageToProduce, RecordsBatch } from '@platformatic/kafka';
import type { IncomingRecord, OutgoingRecord } from '../event-transport.interface';
import { groupHeaders, receivedRecord, toBytes } from '../record-bytes';

/** Record batches of control records (transaction markers) carry no records for consumers. */
const IS_CONTROL = 0b10_0000;

/**
 * A record of a fetched batch as the bus's transport-neutral record. @platformatic/kafka keeps
 * the headers as received, in order and repeated names apart; they are grouped by name here.
 */
export function toIncomingRecord(
  topic: string,
  partition: number,
  batch: Pick<RecordsBatch, 'firstOffset' | 'firstTimestamp'>,
  record: Pick<KafkaRecord, 'offsetDelta' | 'timestampDelta' | 'key' | 'value' | 'headers'>,
): IncomingRecord {
  return receivedRecord(
    {
      topic,
      partition,
      offset: String(batch.firstOffset + BigInt(record.offsetDelta)),
      timestamp: Number(batch.firstTimestamp + record.timestampDelta),
    },
    record.key,
    record.value,
    groupHeaders(record.headers),
  );
}

/** The data records of fetched batches from offset `from` on, in log order. */
export function recordsFrom(
  topic: string,
  partition: number,
  batches: readonly RecordsBatch[],
  from = 0n,
): IncomingRecord[] {
  const records: IncomingRecord[] = [];
  for (const batch of batches) {
    if (batch.attributes & IS_CONTROL) continue;
    for (const record of batch.records) {
      if (batch.firstOffset + BigInt(record.offsetDelta) < from) continue;
      records.push(toIncomingRecord(topic, partition, batch, record));
    }
  }
  return records;
}

/** The offset after the last record of fetched batches, control records included. */
export function nextOffsetAfter(batches: readonly RecordsBatch[]): bigint | undefined {
  const last = batches[batches.length - 1];
  return last === undefined ? undefined : last.firstOffset + BigInt(last.lastOffsetDelta) + 1n;
}

/**
 * A record to send as @platformatic/kafka takes it: bytes throughout. Headers go as a map keyed
 * by a fresh buffer per value, so a header sent several times keeps each value, in order.
 */
export function toMessage(record: OutgoingRecord): MessageToProduce {
  const headers = new Map<Buffer, Buffer>();
  for (const [name, value] of Object.entries(record.headers)) {
    for (const v of Array.isArray(value) ? value : [value]) headers.set(toBytes(name), toBytes(v));
  }
  return {
    topic: record.topic,
    key: record.key === null ? undefined : toBytes(record.key),
    value: record.value,
    headers,
  };
}
