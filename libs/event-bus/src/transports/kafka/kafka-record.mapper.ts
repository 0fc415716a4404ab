import type { IHeaders, KafkaMessage } from 'kafkajs';
import type { IncomingRecord, RawHeaders } from '../event-transport.interface';
import { decodeHeaders, toBytes } from '../record-bytes';

/**
 * A kafkajs message as the bus's transport-neutral record: the key and headers as received
 * (`rawKey`, `rawHeaders`) and their decoded views (`key`, `headers`).
 */
export function toIncomingRecord(
  topic: string,
  partition: number,
  message: KafkaMessage,
): IncomingRecord {
  const rawKey = message.key ?? null;
  const rawHeaders = toKafkaRawHeaders(message.headers);
  return {
    topic,
    partition,
    offset: message.offset,
    key: rawKey === null ? null : rawKey.toString('utf8'),
    rawKey,
    value: message.value ?? Buffer.alloc(0),
    headers: decodeHeaders(rawHeaders),
    rawHeaders,
    timestamp: Number(message.timestamp),
  };
}

/** kafkajs headers (a value, or an array for a header sent several times) as bytes. */
export function toKafkaRawHeaders(headers: IHeaders | undefined): RawHeaders {
  const raw: RawHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined || value === null) continue;
    const values = (Array.isArray(value) ? value : [value])
      .filter((v) => v !== undefined && v !== null)
      .map((v) => (Buffer.isBuffer(v) ? v : toBytes(v)));
    if (values.length > 0) raw[name] = values;
  }
  return raw;
}
