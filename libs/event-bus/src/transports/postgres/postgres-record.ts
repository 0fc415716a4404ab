import type { RawHeaders } from '../event-transport.interface';
export { decodeHeaders } from '../record-bytes';

/** Headers as the log keeps them: `[name, base64 value]` pairs, in the order sent. */
export type RawHeadersPairs = Array<[string, string]>;

/** The pairs as received bytes by name, each name's values in order. */
export function rawHeadersFromPairs(pairs: RawHeadersPairs): RawHeaders {
  const raw: RawHeaders = {};
  for (const [name, value] of pairs) (raw[name] ??= []).push(Buffer.from(value, 'base64'));
  return raw;
}
