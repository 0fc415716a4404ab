import type { IHeaders, KafkaMessage } from 'kafkajs';
import type { IncomingRecord, RawHeaders } from '../event-transport.interface';
import { groupHeaders, receivedRecord } from '../record-bytes';

/**
 * A kafkajs message as the bus's transport-neutral record: the key and headers as received
 * (`rawKey`, `rawHeaders`) and their decoded views (`key`, `headers`).
 */
export function toIncomingRecord(
  topic: string,
  partition: number,
  message: KafkaMessage,
): IncomingRecord {
  return receivedRecord(
    { topic, partition, offset: message.offset, timestamp: Number(message.timestamp) },
    message.key ?? null,
    message.value ?? null,
    toKafkaRawHeaders(message.headers),
  );
}

/** kafkajs headers (a value, or an array for a header sent several times) as bytes. */
export function toKafkaRawHeaders(headers: IHeaders | undefined): RawHeaders {
  return groupHeaders(
    Object.entries(headers ?? {}).flatMap(([name, value]) =>
      (Array.isArray(value) ? value : [value]).map((v) => [name, v] as const),
    ),
  );
}
