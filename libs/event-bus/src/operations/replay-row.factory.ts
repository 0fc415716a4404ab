import { isUtf8 } from 'node:buffer';
import { CE_HEADERS, DLQ_HEADERS } from '../event-bus.constants';
import { isDeadLetterTopic } from '../dead-letter/dead-letter-topic';
import type { OutgoingHeaders, OutgoingRecord } from '../transports/event-transport.interface';
import type { OutboxRow } from '../storage/outbox.store';
import type { DeadLetter } from './dead-letter.interface';
import { deadLetterAddress } from './dead-letter.reader';
import { REPLAY_HEADERS } from './replay.constants';

/** Who replays, and when: stamped on every row of one replay. */
export interface ReplayStamp {
  by: string;
  at: Date;
}

/**
 * - `row`: the outbox row that replays the letter.
 * - `record`: the outbox's text columns cannot hold the letter's key or headers exactly
 *   (`why`), so it is to be sent to the broker as this record, byte for byte.
 * - `skip`: the letter cannot be replayed, and why.
 */
export type ReplayRow =
  { row: OutboxRow } | { record: OutgoingRecord; why: string } | { skip: string };

/** Column sizes of `event_outbox` (see OutboxRow and the migrations). */
const LIMITS = { id: 36, type: 200, key: 255, topic: 249, destination: 200 } as const;
const FAILURE_HEADERS = new Set<string>(Object.values(DLQ_HEADERS));
const REPLAY_HEADER_NAMES = new Set<string>(Object.values(REPLAY_HEADERS));

/**
 * The outbox row that sends a dead letter's event again, to its original topic, as the same
 * event: same id (so consumers' inboxes skip handlers that already succeeded), type, version,
 * key (so the relay keeps its order), destination, payload and headers. The failure headers are
 * left out (the letter keeps them, and `x-replayed-from` points at it); the replay headers say
 * who replayed it, when, and from where. The relay stamps `ce_source` and `ce_time` itself (its
 * service, the row's `created_at` = the replay time); the original time travels as
 * `x-original-time`.
 *
 * Returns why not instead when the letter is not an event the bus can replay.
 */
export function buildReplayRow(letter: DeadLetter, stamp: ReplayStamp): ReplayRow {
  const problem = check(letter);
  if (problem) return { skip: problem };
  // A structured letter whose data is a payload codec's bytes: the outbox holds JSON only.
  if (letter.structured?.data.kind === 'bytes') {
    return {
      record: replayRecord(letter, stamp),
      why: 'structured event with data_base64 (bytes of a payload codec)',
    };
  }
  const notText = notOutboxText(letter);
  if (notText) return { record: replayRecord(letter, stamp), why: notText };
  if (letter.key !== null && letter.key.length > LIMITS.key) {
    return { skip: `key longer than ${LIMITS.key} characters` };
  }

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(letter.headers)) {
    if (!FAILURE_HEADERS.has(name) && !REPLAY_HEADER_NAMES.has(name)) headers[name] = value;
  }
  // A structured letter replays as the same event in binary form (the relay sends it in the
  // service's mode): its attributes become the headers they are in binary mode, the data the
  // payload; the record's structured content type goes.
  if (letter.structured) Object.assign(headers, letter.structured.attributes);
  headers[REPLAY_HEADERS.by] = stamp.by;
  headers[REPLAY_HEADERS.at] = stamp.at.toISOString();
  headers[REPLAY_HEADERS.from] = deadLetterAddress(letter);
  // A replayed event dead-lettered again: its first time, not the earlier replay's.
  const originalTime = letter.headers[REPLAY_HEADERS.originalTime] || letter.time;
  if (originalTime) headers[REPLAY_HEADERS.originalTime] = originalTime;

  const row: OutboxRow = {
    id: letter.eventId!,
    type: letter.type!,
    version: letter.version === null ? 1 : Number(letter.version),
    key: letter.key,
    topic: letter.originalTopic,
    destination: headers[CE_HEADERS.destination] || null,
    payload: letter.structured
      ? JSON.stringify(letter.structured.data.value)
      : letter.value.toString('utf8'),
    headers: JSON.stringify(headers),
    status: 'pending',
    attempts: 0,
    nextAttemptAt: stamp.at,
    lastError: null,
    createdAt: stamp.at,
    publishedAt: null,
  };
  return { row };
}

function check(letter: DeadLetter): string | undefined {
  // A reduced letter (value left out): its whole record is in the database it was parked in.
  const parked = isDeadLetterTopic(letter.topic) && letter.headers[DLQ_HEADERS.parkedId];
  if (parked && letter.value.length === 0) {
    return `reduced dead letter: replay the whole record with "dlq parked replay ${parked}"`;
  }
  if (!letter.eventId) return `no ${CE_HEADERS.id} header: not an event of the bus`;
  if (!letter.type) return `no ${CE_HEADERS.type} header: not an event of the bus`;
  if (letter.eventId.length > LIMITS.id) {
    return `event id longer than ${LIMITS.id} characters cannot be an outbox id`;
  }
  if (letter.type.length > LIMITS.type) return `type longer than ${LIMITS.type} characters`;
  if (letter.originalTopic.length > LIMITS.topic) {
    return `topic longer than ${LIMITS.topic} characters`;
  }
  const destination = (letter.structured?.attributes ?? letter.headers)[CE_HEADERS.destination];
  if (destination && destination.length > LIMITS.destination) {
    return `destination longer than ${LIMITS.destination} characters`;
  }
  if (letter.version !== null && !/^[1-9][0-9]{0,8}$/.test(letter.version)) {
    return `${CE_HEADERS.dataVersion} "${letter.version}" is not a positive integer`;
  }
  // A structured letter's value was parsed already, reading its attributes.
  if (!letter.structured && !isJson(letter.value)) {
    return 'payload is not JSON; replayed, it would be dead-lettered again';
  }
  const data = letter.structured?.data;
  if (
    data?.kind === 'json' &&
    (data.value === null || typeof data.value !== 'object' || Array.isArray(data.value))
  ) {
    return 'structured event whose data is no JSON object; replayed, it would be dead-lettered again';
  }
  return undefined;
}

/**
 * Why the outbox (text key, JSON object of text headers) cannot hold the letter's key and
 * headers byte for byte, if it cannot: bytes that are not UTF-8, or a header sent several times.
 */
function notOutboxText(letter: DeadLetter): string | undefined {
  if (letter.rawKey !== null && !isUtf8(letter.rawKey)) return 'key is not UTF-8 text';
  for (const [name, values] of Object.entries(letter.rawHeaders)) {
    if (FAILURE_HEADERS.has(name) || REPLAY_HEADER_NAMES.has(name)) continue;
    if (values.length > 1) return `header ${name} is repeated ${values.length} times`;
    if (values.some((value) => !isUtf8(value))) return `header ${name} is not UTF-8 text`;
  }
  return undefined;
}

/**
 * The record that replays a letter the outbox cannot hold: the letter's key, value and headers
 * as they are, with the same header changes as an outbox replay (failure headers dropped,
 * replay headers added, `ce_time` the replay's time and the original in `x-original-time`).
 */
function replayRecord(letter: DeadLetter, stamp: ReplayStamp): OutgoingRecord {
  const headers: OutgoingHeaders = {};
  for (const [name, values] of Object.entries(letter.rawHeaders)) {
    if (!FAILURE_HEADERS.has(name) && !REPLAY_HEADER_NAMES.has(name)) headers[name] = values;
  }
  headers[REPLAY_HEADERS.by] = stamp.by;
  headers[REPLAY_HEADERS.at] = stamp.at.toISOString();
  headers[REPLAY_HEADERS.from] = deadLetterAddress(letter);
  const originalTime = letter.headers[REPLAY_HEADERS.originalTime] || letter.time;
  if (originalTime) headers[REPLAY_HEADERS.originalTime] = originalTime;
  headers[CE_HEADERS.time] = stamp.at.toISOString();
  return { topic: letter.originalTopic, key: letter.rawKey, value: letter.value, headers };
}

function isJson(value: Buffer): boolean {
  try {
    JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(value));
    return true;
  } catch {
    return false;
  }
}
