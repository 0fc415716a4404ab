import type { IncomingRecord, RawHeaders } from '../event-transport.interface';
import { decodeHeaders } from '../record-bytes';

/** Headers as the log keeps them: `[name, base64 value]` pairs, in the order sent. */
export type RawHeadersPairs = Array<[string, string]>;

/** The pairs as received bytes by name, each name's values in order. */
export function rawHeadersFromPairs(pairs: RawHeadersPairs): RawHeaders {
  const raw: RawHeaders = {};
  for (const [name, value] of pairs) (raw[name] ??= []).push(Buffer.from(value, 'base64'));
  return raw;
}

/** A row of `event_bus_log` as the readers select it. */
export interface LogRow {
  offset: string;
  key: Buffer | null;
  value: Buffer;
  headers: RawHeadersPairs;
  created_at: Date;
}

/** A log row as a received record of `topic`'s `partition`. */
export function recordFromRow(topic: string, partition: number, row: LogRow): IncomingRecord {
  const rawHeaders = rawHeadersFromPairs(row.headers);
  return {
    topic,
    partition,
    offset: String(row.offset),
    key: row.key === null ? null : row.key.toString('utf8'),
    rawKey: row.key,
    value: row.value,
    headers: decodeHeaders(rawHeaders),
    rawHeaders,
    timestamp: row.created_at.getTime(),
  };
}
