import type {
  IncomingRecord,
  OutgoingHeaders,
  OutgoingRecord,
  RawHeaders,
  RecordHeaders,
} from './event-transport.interface';

/** A key or header value as the bytes that travel (text as UTF-8), copied. */
export function toBytes(value: string | Buffer): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
}

/** Headers to send as the bytes a consumer receives: every value of each name, in order. */
export function toRawHeaders(headers: OutgoingHeaders): RawHeaders {
  const raw: RawHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    const values = (Array.isArray(value) ? value : [value]).map(toBytes);
    if (values.length > 0) raw[name] = values;
  }
  return raw;
}

/** The decoded view: each header's last value as UTF-8 text. */
export function decodeHeaders(raw: RawHeaders): RecordHeaders {
  const headers: RecordHeaders = {};
  for (const [name, values] of Object.entries(raw)) {
    const last = values[values.length - 1];
    if (last !== undefined) headers[name] = last.toString('utf8');
  }
  return headers;
}

/**
 * The key, value and headers a consumer receives for a record sent: copied bytes, and their
 * decoded views.
 */
export function asReceived(
  sent: Pick<OutgoingRecord, 'key' | 'value' | 'headers'>,
): Pick<IncomingRecord, 'key' | 'rawKey' | 'value' | 'headers' | 'rawHeaders'> {
  const rawKey = sent.key === null ? null : toBytes(sent.key);
  const rawHeaders = toRawHeaders(sent.headers);
  return {
    key: rawKey === null ? null : rawKey.toString('utf8'),
    rawKey,
    value: Buffer.from(sent.value),
    headers: decodeHeaders(rawHeaders),
    rawHeaders,
  };
}

/**
 * Header name and value pairs as a client received them, in order, as bytes by name: a name
 * sent several times keeps each value in order. Pairs without a value are left out.
 */
export function groupHeaders(
  pairs: Iterable<
    readonly [string | Buffer | null | undefined, string | Buffer | null | undefined]
  >,
): RawHeaders {
  const raw: RawHeaders = {};
  for (const [name, value] of pairs) {
    if (name === null || name === undefined || value === null || value === undefined) continue;
    const text = typeof name === 'string' ? name : name.toString('utf8');
    (raw[text] ??= []).push(Buffer.isBuffer(value) ? value : toBytes(value));
  }
  return raw;
}

/** A received record from its bytes as they arrived, with the decoded views beside them. */
export function receivedRecord(
  position: Pick<IncomingRecord, 'topic' | 'partition' | 'offset' | 'timestamp'>,
  rawKey: Buffer | null,
  value: Buffer | null,
  rawHeaders: RawHeaders,
): IncomingRecord {
  return {
    topic: position.topic,
    partition: position.partition,
    offset: position.offset,
    key: rawKey === null ? null : rawKey.toString('utf8'),
    rawKey,
    value: value ?? Buffer.alloc(0),
    headers: decodeHeaders(rawHeaders),
    rawHeaders,
    timestamp: position.timestamp,
  };
}
