import type { IHeaders, KafkaMessage } from 'kafkajs';
import type { IncomingRecord, RecordHeaders } from '../event-transport.interface';

/** A kafkajs message as the bus's transport-neutral record. */
export function toIncomingRecord(
  topic: string,
  partition: number,
  message: KafkaMessage,
): IncomingRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key === null ? null : message.key.toString('utf8'),
    value: message.value ?? Buffer.alloc(0),
    headers: toRecordHeaders(message.headers),
    timestamp: Number(message.timestamp),
  };
}

/** Header values as strings; a header sent several times keeps its last value. */
export function toRecordHeaders(headers: IHeaders | undefined): RecordHeaders {
  const result: RecordHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) result[name] = last.toString();
  }
  return result;
}
